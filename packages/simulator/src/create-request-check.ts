import {
  type CreateRequest,
  checkImageBytes,
  classifyInlineImage,
  type EndpointSlug,
  imageValuesOf,
  validateCreateRequest,
} from "@veoq/contract";

export type CreateBodyCheck = { ok: true; value: CreateRequest } | { ok: false; message: string };

/**
 * Check a parsed create body as the provider would: the contract's schema, then every image value
 * (an http(s) URL, which is not fetched, or base64 / data-URI whose bytes pass the image checks).
 * A refusal carries the 400 message: `"<path>: <message>"` joined by "; ".
 */
export function checkCreateBody(slug: EndpointSlug, body: unknown): CreateBodyCheck {
  const validation = validateCreateRequest(slug, body);
  if (!validation.ok) {
    const message = validation.issues
      .map((issue) => (issue.path === "" ? issue.message : `${issue.path}: ${issue.message}`))
      .join("; ");
    return { ok: false, message };
  }
  const problems: string[] = [];
  for (const image of imageValuesOf(slug, body as Record<string, unknown>)) {
    const problem = problemOfImage(image.value, image.jpegPngOnly);
    if (problem !== undefined) problems.push(`${image.path}: ${problem}`);
  }
  if (problems.length > 0) return { ok: false, message: problems.join("; ") };
  return { ok: true, value: validation.value as CreateRequest };
}

function problemOfImage(value: string, jpegPngOnly: boolean): string | undefined {
  const image = classifyInlineImage(value);
  if (image === undefined) return "must be an http(s) URL, a data URI or base64 image data";
  if (image.kind === "url") return undefined;
  // classifyInlineImage accepted it as strict base64 already: decode without checking again.
  return checkImageBytes(Buffer.from(image.base64, "base64"), { jpegPngOnly });
}
