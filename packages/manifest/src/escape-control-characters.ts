/**
 * C0 and C1 control characters, DEL, the line and paragraph separators, and the bidirectional
 * overrides and isolates: characters that would move the cursor, retitle the terminal or
 * reorder what is shown, when a message echoes manifest text.
 */
const CONTROL_CHARACTER = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

/**
 * Makes text safe to print: every control character becomes a visible `\uNNNN` (the JSON
 * escape, so this also keeps a line of JSON valid).
 */
export function escapeControlCharacters(text: string): string {
  return text.replace(
    CONTROL_CHARACTER,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
