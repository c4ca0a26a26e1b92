import { createHmac, timingSafeEqual } from "node:crypto";

/** Path of video `index` of a task, as served by the simulator. */
export function filePathOf(taskId: string, index: number): string {
  return `/files/${encodeURIComponent(taskId)}/${index}.mp4`;
}

/** HMAC signature binding a file path to its expiry, so result URLs cannot be forged or extended. */
export function signFileUrl(
  secret: Buffer,
  taskId: string,
  index: number,
  expiresAtMs: number,
): string {
  return createHmac("sha256", secret)
    .update(`${taskId}\n${index}\n${expiresAtMs}`)
    .digest("base64url");
}

export function isFileSignatureValid(
  secret: Buffer,
  taskId: string,
  index: number,
  expiresAtMs: number,
  signature: string,
): boolean {
  const expected = Buffer.from(signFileUrl(secret, taskId, index, expiresAtMs));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** The full signed URL of a result file. */
export function signedFileUrlOf(
  baseUrl: string,
  secret: Buffer,
  taskId: string,
  index: number,
  expiresAtMs: number,
): string {
  const sig = signFileUrl(secret, taskId, index, expiresAtMs);
  return `${baseUrl}${filePathOf(taskId, index)}?expires=${expiresAtMs}&sig=${sig}`;
}
