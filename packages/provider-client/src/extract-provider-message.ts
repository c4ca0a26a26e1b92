import { redactSecret } from "./redact-secret.ts";

/** Longest provider message kept on an error, in characters. */
export const MAX_PROVIDER_MESSAGE_CHARS = 300;

const MESSAGE_FIELDS = ["message", "msg", "error_message", "detail", "reason", "error"] as const;

/**
 * The provider's explanation from an error body: the first string among the usual JSON fields
 * (`message`, `msg`, `error.message`, …), else the raw text. Collapsed to one line, with
 * `secret` redacted, and truncated to `MAX_PROVIDER_MESSAGE_CHARS`. `undefined` when empty.
 */
export function extractProviderMessage(
  bodyText: string | undefined,
  secret: string,
): string | undefined {
  if (bodyText === undefined) return undefined;
  let message = bodyText;
  try {
    message = pickMessage(JSON.parse(bodyText)) ?? bodyText;
  } catch {
    // Not JSON: keep the raw text.
  }
  const line = toMessageLine(redactSecret(message, secret));
  return line === "" ? undefined : line;
}

/** Text as one line of at most `MAX_PROVIDER_MESSAGE_CHARS` (whitespace collapsed, "…" if cut). */
export function toMessageLine(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > MAX_PROVIDER_MESSAGE_CHARS
    ? `${line.slice(0, MAX_PROVIDER_MESSAGE_CHARS - 1)}…`
    : line;
}

function pickMessage(value: unknown, depth = 0): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value !== "object" || value === null || depth > 2) return undefined;
  const record = value as Record<string, unknown>;
  for (const field of MESSAGE_FIELDS) {
    const found = pickMessage(record[field], depth + 1);
    if (found !== undefined && found !== "") return found;
  }
  return undefined;
}
