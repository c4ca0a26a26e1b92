import {
  ENDPOINT_SLUGS,
  type EndpointSlug,
  imageValuesOf,
  isEndpointSlug,
  suggestField,
  validateCreateRequest,
} from "@veoq/contract";
import { checkImageValue } from "./check-image-value.ts";
import { checkCustomId } from "./custom-id.ts";
import { describeJsonType, isJsonObject } from "./describe-json-type.ts";
import { findDuplicateKey } from "./find-duplicate-key.ts";
import { writeImageField } from "./image-field-path.ts";
import type { ManifestContext } from "./manifest-context.ts";
import type { LineIssue, LineReport, ManifestEntry } from "./manifest-entry.ts";
import { MAX_CUSTOM_ID_LENGTH, MAX_LINE_BYTES, MAX_METADATA_BYTES } from "./manifest-limits.ts";
import { MANIFEST_LINE_FIELDS } from "./manifest-line-fields.ts";

const BYTE_ORDER_MARK = 0xfeff;

/** Options of `validateManifestLineSync`. */
export interface ValidateLineOptions {
  /**
   * The same text was checked in full before and was valid (validateManifest's `checkedBefore`):
   * only what builds the entry runs (JSON, model, image values and their absolute paths); the
   * checks that cannot change it (duplicate keys, unknown fields, the custom_id's form and
   * uniqueness, the model's schema, the metadata's size) are skipped. Default false.
   */
  checkedBefore?: boolean;
}

/**
 * Validates one already-read manifest line, synchronously. `validateManifest` runs every line
 * through this; services that enqueue lines programmatically can call it (or the async
 * `validateManifestLine`) with a context of their own. Records the line's `custom_id` in the
 * context, so a later line with the same id is reported as a duplicate.
 */
export function validateManifestLineSync(
  text: string,
  lineNumber: number,
  ctx: ManifestContext,
  options: ValidateLineOptions = {},
): LineReport {
  const checkedBefore = options.checkedBefore === true;
  const source = text.charCodeAt(0) === BYTE_ORDER_MARK ? text.slice(1) : text;
  if (source.length > MAX_LINE_BYTES) {
    // A caller's own line (validateManifest stops longer ones while they stream past).
    const message = `is ${source.length} characters long, more than the line limit of ${MAX_LINE_BYTES} bytes (MAX_LINE_BYTES)`;
    return failed(lineNumber, null, [{ path: "", message }]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return failed(lineNumber, null, [{ path: "", message: `not valid JSON: ${reason}` }]);
  }
  if (!isJsonObject(parsed)) {
    const message = `must be a JSON object with custom_id, model and input (got ${describeJsonType(parsed)})`;
    return failed(lineNumber, null, [{ path: "", message }]);
  }

  const errors: LineIssue[] = [];
  if (checkedBefore) return rebuiltEntry(parsed, lineNumber, ctx, errors);
  const duplicate = findDuplicateKey(source, parsed);
  if (duplicate !== undefined) {
    const path = duplicate.path === "" ? duplicate.key : `${duplicate.path}.${duplicate.key}`;
    errors.push({
      path,
      message: `duplicate key ${JSON.stringify(duplicate.key)} in one object; write each key once (JSON would silently keep the last value)`,
    });
  }
  for (const key of Object.keys(parsed)) {
    if ((MANIFEST_LINE_FIELDS as readonly string[]).includes(key)) continue;
    const suggestion = suggestField(key, MANIFEST_LINE_FIELDS);
    const hint =
      suggestion === undefined
        ? `; a line has only ${MANIFEST_LINE_FIELDS.join(", ")}`
        : `; did you mean ${JSON.stringify(suggestion)}?`;
    errors.push({ path: key, message: `unknown field ${JSON.stringify(key)}${hint}` });
  }

  const rawCustomId = parsed.custom_id;
  const customId =
    typeof rawCustomId === "string" && rawCustomId.length <= MAX_CUSTOM_ID_LENGTH
      ? rawCustomId
      : null;
  const customIdProblem = checkCustomId(rawCustomId);
  if (customIdProblem !== undefined) {
    errors.push({ path: "custom_id", message: customIdProblem });
  } else if (customId !== null) {
    const firstLine = ctx.seenCustomIds.get(customId);
    if (firstLine === undefined) ctx.seenCustomIds.set(customId, lineNumber);
    // The same line seen again (a second pass with the first pass's map) is not a duplicate.
    else if (firstLine !== lineNumber) {
      errors.push({
        path: "custom_id",
        message: `duplicate: line ${firstLine} already uses "${customId}"`,
      });
    }
  }

  const model = checkModel(parsed.model, errors);

  let input: Record<string, unknown> | undefined;
  let localImages: string[] = [];
  if (parsed.input === undefined) {
    errors.push({
      path: "input",
      message: "is required; must be the request body for the model (a JSON object)",
    });
  } else if (!isJsonObject(parsed.input)) {
    errors.push({
      path: "input",
      message: `must be a JSON object (got ${describeJsonType(parsed.input)})`,
    });
  } else if (model !== undefined) {
    const checked = checkInput(model, parsed.input, ctx, errors);
    input = checked.input;
    localImages = checked.localImages;
  }

  const metadata = parsed.metadata;
  if (metadata !== undefined) {
    if (!isJsonObject(metadata)) {
      errors.push({
        path: "metadata",
        message: `must be a JSON object (got ${describeJsonType(metadata)}); leave it out when there is none`,
      });
    } else {
      const size = Buffer.byteLength(JSON.stringify(metadata), "utf8");
      if (size > MAX_METADATA_BYTES) {
        errors.push({
          path: "metadata",
          message: `is ${size} bytes as JSON, more than the ${MAX_METADATA_BYTES}-byte (16 KiB) limit`,
        });
      }
    }
  }

  if (errors.length > 0 || model === undefined || input === undefined || customId === null) {
    return failed(lineNumber, customId, errors);
  }
  return passed(lineNumber, customId, model, input, localImages, metadata);
}

/**
 * The entry of a line checked in full before (ValidateLineOptions.checkedBefore), built by the
 * same steps as a check builds it; a line that no longer reads as a valid one fails as it would.
 */
function rebuiltEntry(
  parsed: Record<string, unknown>,
  lineNumber: number,
  ctx: ManifestContext,
  errors: LineIssue[],
): LineReport {
  const rawCustomId = parsed.custom_id;
  const customId =
    typeof rawCustomId === "string" && rawCustomId.length <= MAX_CUSTOM_ID_LENGTH
      ? rawCustomId
      : null;
  const model = checkModel(parsed.model, errors);
  const body = parsed.input;
  if (customId === null || model === undefined || !isJsonObject(body)) {
    if (customId === null) errors.push({ path: "custom_id", message: "is missing or invalid" });
    if (!isJsonObject(body)) errors.push({ path: "input", message: "must be a JSON object" });
    return failed(lineNumber, customId, errors);
  }
  const { input, localImages } = resolveImages(model, body, ctx, errors, NO_PATHS);
  const metadata = parsed.metadata;
  if (errors.length > 0) return failed(lineNumber, customId, errors);
  return passed(lineNumber, customId, model, input, localImages, metadata);
}

/** Async form of `validateManifestLineSync`, for callers that prefer a promise. */
export async function validateManifestLine(
  text: string,
  lineNumber: number,
  ctx: ManifestContext,
): Promise<LineReport> {
  return validateManifestLineSync(text, lineNumber, ctx);
}

/** The report of a valid line, with the entry the enqueue builds its job from. */
function passed(
  line: number,
  customId: string,
  model: EndpointSlug,
  input: ManifestEntry["input"],
  localImages: ManifestEntry["localImages"],
  metadata: unknown,
): LineReport {
  return {
    line,
    customId,
    ok: true,
    errors: [],
    entry: {
      line,
      customId,
      model,
      input,
      localImages,
      metadata: metadata as Record<string, unknown> | undefined,
    },
  };
}

function failed(line: number, customId: string | null, errors: LineIssue[]): LineReport {
  return { line, customId, ok: false, errors, entry: undefined };
}

function checkModel(value: unknown, errors: LineIssue[]): EndpointSlug | undefined {
  const choices = `one of ${ENDPOINT_SLUGS.join(", ")}`;
  if (value === undefined) {
    errors.push({ path: "model", message: `is required; must be ${choices}` });
    return undefined;
  }
  if (typeof value !== "string") {
    errors.push({ path: "model", message: `must be ${choices} (got ${describeJsonType(value)})` });
    return undefined;
  }
  if (isEndpointSlug(value)) return value;
  const suggestion = suggestField(value, ENDPOINT_SLUGS);
  const hint = suggestion === undefined ? "" : `did you mean ${JSON.stringify(suggestion)}? `;
  const shown = JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  errors.push({ path: "model", message: `unknown model ${shown}; ${hint}must be ${choices}` });
  return undefined;
}

/**
 * Checks the body against the model's schema and every image field's value; returns the input
 * with local image paths made absolute, and the paths of those local images.
 */
function checkInput(
  model: EndpointSlug,
  body: Record<string, unknown>,
  ctx: ManifestContext,
  errors: LineIssue[],
): { input: Record<string, unknown>; localImages: string[] } {
  const verdict = validateCreateRequest(model, body);
  let schemaIssuePaths: ReadonlySet<string> = NO_PATHS;
  if (!verdict.ok) {
    const paths = new Set<string>();
    schemaIssuePaths = paths;
    for (const issue of verdict.issues) {
      paths.add(issue.path);
      errors.push({ path: prefixInput(issue.path), message: issue.message });
    }
  }
  return resolveImages(model, body, ctx, errors, schemaIssuePaths);
}

/**
 * Checks every image field's value (but those the schema already refused); returns the input
 * with local image paths made absolute, and the paths of those local images.
 */
function resolveImages(
  model: EndpointSlug,
  body: Record<string, unknown>,
  ctx: ManifestContext,
  errors: LineIssue[],
  schemaIssuePaths: ReadonlySet<string>,
): { input: Record<string, unknown>; localImages: string[] } {
  // The body was parsed from this line's text here: local paths are made absolute in place.
  const input = body;
  const localImages: string[] = [];
  for (const image of imageValuesOf(model, body)) {
    const value: unknown = image.value;
    if (typeof value !== "string" || schemaIssuePaths.has(image.path)) continue;
    if (value.trim() === "") {
      errors.push({ path: prefixInput(image.path), message: "must not be empty" });
      continue;
    }
    const checked = checkImageValue(value, image.jpegPngOnly, ctx);
    if (checked.error !== undefined) {
      errors.push({ path: prefixInput(image.path), message: checked.error });
      continue;
    }
    if (checked.kind === "local") {
      localImages.push(image.path);
      if (checked.absolutePath !== value) writeImageField(input, image.path, checked.absolutePath);
    }
  }
  return { input, localImages };
}

const NO_PATHS: ReadonlySet<string> = new Set();

function prefixInput(path: string): string {
  if (path === "") return "input";
  return path.startsWith("[") ? `input${path}` : `input.${path}`;
}
