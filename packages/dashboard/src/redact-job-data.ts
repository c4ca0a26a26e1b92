/** Strings longer than this that look like base64 are treated as inline image bytes. */
const BASE64_MIN_LENGTH = 256;
const BASE64 = /^[A-Za-z0-9+/=\s]+$/;
const DATA_URI = /^data:([^;,]*)[^,]*,/i;
/** Keys whose values are never shown, whatever they hold. */
const SECRET_KEY = /(api[-_]?key|authorization|password|secret|token)$/i;

/**
 * Job data as Bull Board shows it. Our payloads carry local images as paths, but a manifest may
 * inline images as data URIs or raw base64, and download jobs carry signed result URLs: image
 * bytes are replaced by a short note, URL query strings (signatures) and secret-looking keys
 * are elided. Returns a copy; never throws.
 */
export function redactJobData(value: unknown, depth = 0): unknown {
  if (depth > 20) return "[nested too deep]";
  if (typeof value === "string") return redactString(value);
  if (Array.isArray(value)) return value.map((item) => redactJobData(item, depth + 1));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        SECRET_KEY.test(key) ? "[redacted]" : redactJobData(item, depth + 1),
      ]),
    );
  }
  return value;
}

function redactString(value: string): string {
  const dataUri = DATA_URI.exec(value);
  if (dataUri)
    return `[inline ${dataUri[1] || "data"}, ${approxBytes(value.length - dataUri[0].length)} elided]`;
  if (value.length >= BASE64_MIN_LENGTH && BASE64.test(value)) {
    return `[inline base64, ${approxBytes(value.length)} elided]`;
  }
  if (/^https?:\/\//i.test(value)) {
    const query = value.indexOf("?");
    if (query >= 0) return `${value.slice(0, query)}?[query elided]`;
  }
  return value;
}

function approxBytes(base64Length: number): string {
  const bytes = Math.floor((base64Length * 3) / 4);
  return bytes >= 1024 ? `~${Math.round(bytes / 1024)} KiB` : `~${bytes} B`;
}
