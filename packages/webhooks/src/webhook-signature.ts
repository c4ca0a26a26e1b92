import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): the signed content is
 * `<webhook-id>.<webhook-timestamp>.<body>`, the signature `v1,` + base64 HMAC-SHA256 of it with
 * the secret's bytes (the base64 after `whsec_`). Interoperable with the `standardwebhooks` npm
 * package both ways (test/webhook-signature.test.ts).
 */

const SECRET_PREFIX = "whsec_";

/** How far a webhook's timestamp may be from now before verifyWebhook refuses it (replays). */
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

/** Why verifyWebhook refused a webhook. */
export class WebhookVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WebhookVerificationError";
  }
}

/** The key bytes of a `whsec_` + base64 secret (a bare base64 secret is taken as it is). */
export function webhookSecretKey(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = Buffer.from(encoded, "base64");
  if (key.length === 0) throw new WebhookVerificationError("the webhook secret is empty");
  return key;
}

/** `v1,<base64 signature>` of one message. */
export function signWebhook(
  secret: string,
  message: { id: string; timestamp: number; body: string },
): string {
  const signature = createHmac("sha256", webhookSecretKey(secret))
    .update(`${message.id}.${message.timestamp}.${message.body}`)
    .digest("base64");
  return `v1,${signature}`;
}

/** The three headers of one signed delivery. */
export function webhookHeaders(
  secret: string,
  message: { id: string; timestamp: number; body: string },
): Record<"webhook-id" | "webhook-timestamp" | "webhook-signature", string> {
  return {
    "webhook-id": message.id,
    "webhook-timestamp": String(message.timestamp),
    "webhook-signature": signWebhook(secret, message),
  };
}

/** Headers as node's IncomingHttpHeaders, a fetch `Headers`, or a plain record. */
export type WebhookRequestHeaders =
  | Headers
  | Record<string, string | string[] | undefined>
  | { get(name: string): string | null };

function header(headers: WebhookRequestHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === "function") {
    return (headers as Headers).get(name) ?? undefined;
  }
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Checks a received webhook: its `webhook-signature` (any of its space-separated `v1,` entries)
 * against the raw body exactly as received, with the secret, and its `webhook-timestamp` within
 * `toleranceSeconds` of now. Returns the parsed body; throws WebhookVerificationError otherwise.
 * Compare in constant time; never parse and re-serialize the body before verifying.
 */
export function verifyWebhook(
  headers: WebhookRequestHeaders,
  rawBody: string | Buffer | Uint8Array,
  secret: string,
  options: { toleranceSeconds?: number; now?: () => number } = {},
): unknown {
  const id = header(headers, "webhook-id");
  const timestamp = header(headers, "webhook-timestamp");
  const signatures = header(headers, "webhook-signature");
  if (id === undefined || timestamp === undefined || signatures === undefined) {
    throw new WebhookVerificationError(
      "missing webhook-id, webhook-timestamp or webhook-signature header",
    );
  }
  const seconds = Number(timestamp);
  if (!/^\d{1,12}$/.test(timestamp) || !Number.isSafeInteger(seconds)) {
    throw new WebhookVerificationError("webhook-timestamp is not a number of seconds");
  }
  const now = Math.floor((options.now ?? Date.now)() / 1000);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(now - seconds) > tolerance) {
    throw new WebhookVerificationError("webhook-timestamp is too far from now");
  }
  const body = typeof rawBody === "string" ? rawBody : Buffer.from(rawBody).toString("utf8");
  const expected = Buffer.from(
    signWebhook(secret, { id, timestamp: seconds, body }).slice(3),
    "base64",
  );
  const matches = signatures.split(" ").some((entry) => {
    const [version, value] = entry.split(",", 2);
    if (version !== "v1" || value === undefined) return false;
    const given = Buffer.from(value, "base64");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) throw new WebhookVerificationError("no webhook-signature matches");
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new WebhookVerificationError("the body is not JSON");
  }
}
