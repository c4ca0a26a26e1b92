import { isAbsolute, resolve } from "node:path";
import { checkImageBytes, classifyInlineImage } from "@veoq/contract";
import { checkLocalImageFile } from "./check-local-image-file.ts";
import type { ManifestContext } from "./manifest-context.ts";
import { MAX_PATH_CHARS } from "./manifest-limits.ts";

/** What an image field's value turned out to be, and whether it is usable. */
export type ImageValueCheck =
  | { kind: "inline"; error: string | undefined }
  | { kind: "local"; absolutePath: string; error: string | undefined };

/**
 * Checks one image field value. URLs are accepted as they are (they are fetched by the
 * provider); `data:` URIs and raw base64 are decoded and their bytes checked; anything else is
 * a local file path, resolved against the manifest's folder and checked through the context's
 * cache (once per file and format rule).
 */
export function checkImageValue(
  value: string,
  jpegPngOnly: boolean,
  ctx: ManifestContext,
): ImageValueCheck {
  // The verdict on a value depends only on the value, the rule and the context (whose file
  // checks are a snapshot, once per file): the same short value gets the same answer.
  const known = value.length > MAX_CACHED_VALUE_CHARS ? undefined : ctx.imageValueChecks;
  const cache = known?.[jpegPngOnly ? 1 : 0];
  const cached = cache?.get(value);
  if (cached !== undefined) return cached;
  const checked = checkUncached(value, jpegPngOnly, ctx);
  if (cache !== undefined) {
    if (cache.size >= MAX_CACHED_VALUES) cache.clear();
    cache.set(value, checked);
  }
  return checked;
}

/** Values up to this long (paths, URLs; not inline base64) have their verdicts kept. */
const MAX_CACHED_VALUE_CHARS = 2048;
/** Verdicts kept per rule, at most (then forgotten all at once): a few MB at worst. */
const MAX_CACHED_VALUES = 1024;

function checkUncached(value: string, jpegPngOnly: boolean, ctx: ManifestContext): ImageValueCheck {
  const inline = classifyInlineImage(value);
  if (inline !== undefined) {
    if (inline.kind === "url") return { kind: "inline", error: undefined };
    // classifyInlineImage accepted it as strict base64 already: decode without checking again.
    const bytes = Buffer.from(inline.base64, "base64");
    const what = inline.kind === "data-uri" ? "data URI content" : "base64 data";
    const problem = checkImageBytes(bytes, { jpegPngOnly });
    return { kind: "inline", error: problem === undefined ? undefined : `${what} ${problem}` };
  }
  if (value.length > MAX_PATH_CHARS) {
    return {
      kind: "inline",
      error: "is neither a URL, a data URI, valid base64 nor a file path",
    };
  }
  const absolutePath = isAbsolute(value) ? value : resolve(ctx.manifestDir, value);
  if (!ctx.checkFiles) return { kind: "local", absolutePath, error: undefined };
  const key = `${jpegPngOnly ? 1 : 0}:${absolutePath}`;
  let problem: string | undefined;
  if (ctx.fileChecks.has(key)) {
    problem = ctx.fileChecks.get(key);
  } else {
    problem = checkLocalImageFile(absolutePath, jpegPngOnly);
    ctx.fileChecks.set(key, problem);
  }
  return {
    kind: "local",
    absolutePath,
    error: problem === undefined ? undefined : describeLocalFile(value, absolutePath, problem),
  };
}

/** "file frames/a.png (/data/frames/a.png) does not exist" */
function describeLocalFile(value: string, absolutePath: string, problem: string): string {
  const where = value === absolutePath ? value : `${value} (${absolutePath})`;
  return `file ${where} ${problem}`;
}
