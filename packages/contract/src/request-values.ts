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
  path: string,
  jpegPngOnly: boolean,
  out: ImageValue[],
): void {
  const [head, ...rest] = segments;
  if (head === undefined) {
    if (typeof node === "string") out.push({ path, value: node, jpegPngOnly });
    return;
  }
  if (head === "*") {
    if (!Array.isArray(node)) return;
    node.forEach((item, index) => {
      collect(item, rest, `${path}[${index}]`, jpegPngOnly, out);
    });
    return;
  }
  if (typeof node !== "object" || node === null || Array.isArray(node)) return;
  const child = (node as Record<string, unknown>)[head];
  collect(child, rest, path === "" ? head : `${path}.${head}`, jpegPngOnly, out);
}

/**
 * Every string found at the endpoint's image fields, with its concrete path. Tolerates bodies
 * that have not been validated: values of the wrong type are skipped.
 */
export function imageValuesOf(slug: EndpointSlug, body: Record<string, unknown>): ImageValue[] {
  const out: ImageValue[] = [];
  for (const field of ENDPOINTS[slug].imageFields) {
    collect(body, field.pattern.split("."), "", field.jpegPngOnly, out);
  }
  return out;
}
