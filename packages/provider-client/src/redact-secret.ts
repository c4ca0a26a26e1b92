const REDACTED = "[redacted]";

/** Replaces every occurrence of `secret` in `text` (no-op for an empty secret). */
export function redactSecret(text: string, secret: string): string {
  return secret === "" ? text : text.split(secret).join(REDACTED);
}
