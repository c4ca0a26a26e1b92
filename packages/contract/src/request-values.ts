import { type CreateRequest, ENDPOINTS, type EndpointSlug } from "./endpoints.ts";

/** Length of the video a (valid) request asks for, in seconds: the endpoint's duration field, default 8. */
export function durationSecondsOf(slug: EndpointSlug, body: CreateRequest): number {
  const spec = ENDPOINTS[slug];
  const value: unknown = (body as Record<string, unknown>)[spec.durationField];
  return typeof value === "number" ? value : spec.defaultDurationSeconds;
}

/** How many videos a (valid) request asks for: `sample_count`, default 1. */
export function sampleCountOf(_slug: EndpointSlug, body: CreateRequest): number {
  const value: unknown = (body as Record<string, unknown>).sample_count;
  return typeof value === "number" ? value : 1;
}

/** One image value found in a body. */
export interface ImageValue {
  /** Concrete path, e.g. `"image"`, `"reference_images[0].image"`. */
  path: string;
  value: string;
  /** Whether the endpoint accepts only JPEG and PNG here. */
  jpegPngOnly: boolean;
}

function collect(
  node: unknown,
  segments: readonly string[],
  from: number,
  path: string,
  jpegPngOnly: boolean,
  out: ImageValue[],
): void {
  const head = segments[from];
  if (head === undefined) {
    if (typeof node === "string") out.push({ path, value: node, jpegPngOnly });
    return;
  }
  if (head === "*") {
    if (!Array.isArray(node)) return;
    for (let index = 0; index < node.length; index++) {
      collect(node[index], segments, from + 1, `${path}[${index}]`, jpegPngOnly, out);
    }
    return;
  }
  if (typeof node !== "object" || node === null || Array.isArray(node)) return;
  const child = (node as Record<string, unknown>)[head];
  // Most bodies lack most image fields: nothing to walk into, no path to build.
  if (child === undefined) return;
  collect(child, segments, from + 1, path === "" ? head : `${path}.${head}`, jpegPngOnly, out);
}

/** Each endpoint's image field patterns split at the dots, once (every manifest line walks them). */
const IMAGE_FIELD_SEGMENTS = new Map<EndpointSlug, readonly (readonly string[])[]>();

function imageFieldSegments(slug: EndpointSlug): readonly (readonly string[])[] {
  let segments = IMAGE_FIELD_SEGMENTS.get(slug);
  if (segments === undefined) {
    segments = ENDPOINTS[slug].imageFields.map((field) => field.pattern.split("."));
    IMAGE_FIELD_SEGMENTS.set(slug, segments);
  }
  return segments;
}

/**
 * Every string found at the endpoint's image fields, with its concrete path. Tolerates bodies
 * that have not been validated: values of the wrong type are skipped.
 */
export function imageValuesOf(slug: EndpointSlug, body: Record<string, unknown>): ImageValue[] {
  const out: ImageValue[] = [];
  const fields = ENDPOINTS[slug].imageFields;
  const segments = imageFieldSegments(slug);
  for (let i = 0; i < fields.length; i++) {
    collect(body, segments[i] ?? [], 0, "", fields[i]?.jpegPngOnly ?? false, out);
  }
  return out;
}

/** The video a (valid) request asks for: what a saved file is checked against. */
export interface RequestedVideo {
  durationSeconds: number;
  /** Pixels: 720p is 1280 × 720, 1080p is 1920 × 1080; `9:16` swaps width and height. */
  width: number;
  height: number;
  /** Whether the video has an audio track (`generate_audio`, default false). */
  audio: boolean;
}

const FRAME_SIZES: Readonly<Record<string, { long: number; short: number }>> = {
  "720p": { long: 1280, short: 720 },
  "1080p": { long: 1920, short: 1080 },
};

/** The duration, frame size and audio a (valid) request asks for, with the provider's defaults. */
export function requestedVideoOf(slug: EndpointSlug, body: CreateRequest): RequestedVideo {
  const fields = body as Record<string, unknown>;
  const frame = FRAME_SIZES[String(fields.resolution ?? "720p")] ?? { long: 1280, short: 720 };
  const portrait = fields.aspect_ratio === "9:16";
  return {
    durationSeconds: durationSecondsOf(slug, body),
    width: portrait ? frame.short : frame.long,
    height: portrait ? frame.long : frame.short,
    audio: fields.generate_audio === true,
  };
}
