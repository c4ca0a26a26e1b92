const REDACTED = "[redacted]";

/**
 * An RFC 6750 bearer credential (`Bearer <b64token>`), whoever's it is: a provider or a proxy
 * that echoes an Authorization header may echo a token of another hop, not only ours.
 */
const BEARER_TOKEN = /\bBearer(\s+|%20|\+)[A-Za-z0-9\-._~+/]+=*/gi;

/**
 * Removes credentials from a text that came from outside: every occurrence of `secret` (as is
 * and URL-encoded) and every `Bearer <token>`. A no-op for an empty secret and a clean text.
 */
export function redactSecret(text: string, secret: string): string {
  let clean = text;
  if (secret !== "") {
    clean = clean.split(secret).join(REDACTED);
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) clean = clean.split(encoded).join(REDACTED);
  }
  return clean.replace(BEARER_TOKEN, (_match, gap: string) => `Bearer${gap}${REDACTED}`);
}
