import type { Readable } from "node:stream";

/** Raised by `readBodyText` when the body is larger than allowed (the stream is destroyed). */
export class BodyTooLargeError extends Error {
  constructor(limitBytes: number) {
    super(`response body exceeds ${limitBytes} bytes`);
    this.name = "BodyTooLargeError";
  }
}

/**
 * Reads a whole response body as UTF-8, destroying the stream and throwing `BodyTooLargeError`
 * past `limitBytes`. Stream errors (reset, body timeout) are rethrown as they are.
 */
export async function readBodyText(body: Readable, limitBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    total += buffer.length;
    if (total > limitBytes) {
      discardBody(body);
      throw new BodyTooLargeError(limitBytes);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Throws away a response body that will not be read, so its socket is freed (closed if the body
 * had not ended). The abort error undici raises on the destroyed stream is swallowed.
 */
export function discardBody(body: Readable): void {
  body.on("error", () => {});
  body.destroy();
}
