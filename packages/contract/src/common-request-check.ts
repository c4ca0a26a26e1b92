import type { EndpointSlug } from "./endpoints.ts";
import {
  ASPECT_RATIOS,
  DURATION_CHOICES,
  MAX_PROMPT_CHARS,
  MAX_SAMPLE_COUNT,
  MAX_SEED,
  RESOLUTIONS,
} from "./request-fields.ts";

/** One field's rule, as the endpoint's zod schema states it, for values that pass it. */
type FieldRule = (value: unknown) => boolean;

const text: FieldRule = (v) =>
  typeof v === "string" && v.length >= 1 && v.length <= MAX_PROMPT_CHARS;
const promptText: FieldRule = (v) => typeof v === "string" && v.length <= MAX_PROMPT_CHARS;
const image: FieldRule = (v) => typeof v === "string" && v.length >= 1;
const boolean: FieldRule = (v) => typeof v === "boolean";
const oneOf =
  (values: readonly string[]): FieldRule =>
  (v) =>
    typeof v === "string" && values.includes(v);
const intIn =
  (min: number, max: number): FieldRule =>
  (v) =>
    typeof v === "number" && Number.isSafeInteger(v) && v >= min && v <= max;
const intChoice =
  (values: readonly number[]): FieldRule =>
  (v) =>
    typeof v === "number" && Number.isSafeInteger(v) && values.includes(v);

/** The fields of one endpoint's common bodies, and which of them are required. */
interface CommonShape {
  rules: ReadonlyMap<string, FieldRule>;
  required: readonly string[];
}

/**
 * The bodies most manifests hold, field by field: every field but `reference_images` (left to
 * the schema, with its cross-field rules) of img2video-request.ts and
 * lite-first-last-frame-request.ts, with the same bounds.
 */
const COMMON_SHAPES: Readonly<Record<EndpointSlug, CommonShape>> = {
  "veo-3.1-generate-img2video": {
    rules: new Map<string, FieldRule>([
      ["prompt", text],
      ["image", image],
      ["last_image", image],
      ["aspect_ratio", oneOf(ASPECT_RATIOS)],
      ["duration_seconds", intChoice(DURATION_CHOICES)],
      ["enhance_prompt", (v) => v === true],
      ["generate_audio", boolean],
      ["negative_prompt", promptText],
      ["person_generation", oneOf(["allow_adult", "dont_allow", "allow_all"])],
      ["resolution", oneOf(RESOLUTIONS)],
      ["sample_count", intIn(1, MAX_SAMPLE_COUNT)],
      ["seed", intIn(0, MAX_SEED)],
    ]),
    required: ["prompt", "generate_audio"],
  },
  "veo-3.1-lite-firstlastframe": {
    rules: new Map<string, FieldRule>([
      ["prompt", text],
      ["image", image],
      ["last_frame_image", image],
      ["duration", intChoice(DURATION_CHOICES)],
      ["resolution", oneOf(RESOLUTIONS)],
      ["aspect_ratio", oneOf(ASPECT_RATIOS)],
      ["sample_count", intIn(1, MAX_SAMPLE_COUNT)],
      ["enhance_prompt", boolean],
      ["generate_audio", boolean],
      ["negative_prompt", promptText],
      ["person_generation", oneOf(["allow_adult", "dont_allow"])],
      ["seed", intIn(0, MAX_SEED)],
    ]),
    required: ["prompt", "image", "last_frame_image"],
  },
};

/**
 * True when `body` is a plain JSON object of the endpoint's common fields whose every value the
 * schema accepts: the schema would then accept the body too, so it need not run (it is most of
 * a manifest line's check). False says nothing: the schema decides, and words the issues.
 * A test compares this with the schema on the contract cases and on random bodies.
 */
export function isCommonValidRequest(slug: EndpointSlug, body: unknown): boolean {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return false;
  if (Object.getPrototypeOf(body) !== Object.prototype) return false;
  const shape = COMMON_SHAPES[slug];
  if (shape === undefined) return false;
  const record = body as Record<string, unknown>;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) return false;
    const rule = shape.rules.get(key);
    if (rule === undefined || !rule(record[key])) return false;
  }
  for (const key of shape.required) if (!Object.hasOwn(record, key)) return false;
  return true;
}
