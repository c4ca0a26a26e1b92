/** Longest excerpt of a user's string that appears in a message. */
const MAX_EXCERPT_CHARS = 40;

/** Quotes a string for a message, cutting it short so huge values (base64 images) are never echoed. */
export function quoteExcerpt(value: string): string {
  const excerpt =
    value.length > MAX_EXCERPT_CHARS
      ? `${value.slice(0, MAX_EXCERPT_CHARS)}… (${value.length} chars)`
      : value;
  return JSON.stringify(excerpt);
}

/** Describes a value for the "(got …)" part of a message, short and safe to log. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "string") return `the string ${quoteExcerpt(value)}`;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}
