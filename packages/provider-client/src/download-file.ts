import { createHash } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { failureFromStatus, failureWithoutAnswer, providerFailure } from "./call-failure.ts";
import { type DownloadSink, openFileSink } from "./download-sink.ts";
import { describeFileStart, MP4_SIGNATURE_BYTES, startsLikeMp4 } from "./mp4-signature.ts";
import { observeCall } from "./observe-call.ts";
import type { ProviderCallContext } from "./provider-call-context.ts";
import { discardBody, readBodyText } from "./read-body-text.ts";
import { requestFile } from "./request-file.ts";

/** One result file to fetch, and where to write it. */
export interface DownloadRequest {
  /** The file's http(s) URL (a signed result URL). */
  url: string;
  /**
   * Opens where the bytes go, once the provider answered with a file: a local file (see
   * `downloadFile`) or e.g. a multipart upload. Committed only when every check passed.
   */
  openSink: () => Promise<DownloadSink>;
  signal?: AbortSignal | undefined;
  /** Byte count the file must have, when the caller knows it. */
  expectedBytes?: number | undefined;
}

/** What `downloadFile` wrote. */
export interface DownloadResult {
  /** Bytes written to the destination. */
  bytes: number;
  /** Lower-case hex SHA-256 of those bytes. */
  sha256: string;
  /** The file's `Content-Type`, when it sent one. */
  contentType: string | undefined;
}

const TARGET = { operation: "download", endpoint: "file" } as const;

/**
 * Streams a result file to disk, hashing as it goes. Only http(s) URLs and redirects
 * (`request-file.ts`); the key is sent to the API's own origin only. Refused for good
 * (`invalid_request`): a file over `maxDownloadBytes` (by Content-Length before reading, or as
 * soon as the body grows past it) and bytes that do not start like an MP4 (`mp4-signature.ts`),
 * whatever the Content-Type says. On any failure the sink is discarded (a partial file removed,
 * an upload aborted); a sink's own error (disk full, the bucket refusing) is rethrown as it is.
 */
export function downloadTo(
  context: ProviderCallContext,
  { url, openSink, signal, expectedBytes }: DownloadRequest,
): Promise<DownloadResult> {
  return observeCall(context, TARGET, async (state) => {
    const target = parseHttpUrl(url);
    if (target === undefined) {
      throw providerFailure(context, {
        kind: "invalid_request",
        ...TARGET,
        detail: "file URL must be an absolute http(s) URL",
      });
    }
    const response = await requestFile(context, { url: target, signal });
    state.status = response.statusCode;
    if (response.statusCode < 200 || response.statusCode > 299) {
      throw await failureFromStatus(context, TARGET, response);
    }
    const sentType = firstHeader(response.headers, "content-type");
    const contentType = sentType === undefined ? undefined : context.redact(sentType);
    if (contentType !== undefined && /^\s*text\/html\b/i.test(contentType)) {
      await readBodyText(response.body, context.settings.maxErrorBodyBytes).catch(() => undefined);
      throw providerFailure(context, {
        kind: "malformed_response",
        ...TARGET,
        status: response.statusCode,
        detail: `file URL answered ${contentType} instead of the file`,
      });
    }
    const limit = context.settings.maxDownloadBytes;
    const declaredBytes = parseContentLength(firstHeader(response.headers, "content-length"));
    if (declaredBytes !== undefined && declaredBytes > limit) {
      discardBody(response.body);
      throw providerFailure(context, {
        kind: "invalid_request",
        ...TARGET,
        status: response.statusCode,
        detail: `file is ${declaredBytes} bytes (Content-Length), over ${describeLimit(limit)}`,
      });
    }

    const hash = createHash("sha256");
    let bytes = 0;
    let file: DownloadSink;
    try {
      file = await openSink();
    } catch (error) {
      discardBody(response.body);
      throw error; // A local problem (missing directory, permissions): not the provider's.
    }
    const refuse = (detail: string) =>
      providerFailure(context, {
        kind: "invalid_request",
        ...TARGET,
        status: response.statusCode,
        detail,
      });
    try {
      // Reading and writing are separate steps so a broken stream (the provider's fault)
      // and a failed write (disk full: ours) are told apart. The first bytes are held back
      // until they show an MP4, so a file that is not one is never written.
      let head: Buffer | undefined = Buffer.alloc(0);
      const chunks = response.body[Symbol.asyncIterator]();
      for (;;) {
        let next: IteratorResult<Buffer>;
        try {
          next = await chunks.next();
        } catch (error) {
          throw failureWithoutAnswer(context, {
            ...TARGET,
            error,
            requestSent: true,
            signal,
            status: response.statusCode,
          });
        }
        if (next.done === true) break;
        bytes += next.value.length;
        if (bytes > limit) throw refuse(`file grew past ${describeLimit(limit)}; download aborted`);
        hash.update(next.value);
        if (head === undefined) {
          await file.write(next.value);
          continue;
        }
        head = Buffer.concat([head, next.value]);
        if (head.length < MP4_SIGNATURE_BYTES) continue;
        if (!startsLikeMp4(head)) throw refuse(notMp4(head, contentType));
        await file.write(head);
        head = undefined;
      }
      if (head !== undefined) throw refuse(notMp4(head, contentType));
    } catch (error) {
      discardBody(response.body);
      await file.discard();
      throw error;
    }
    const mismatch =
      declaredBytes !== undefined && declaredBytes !== bytes
        ? `received ${bytes} bytes, Content-Length said ${declaredBytes}`
        : expectedBytes !== undefined && expectedBytes !== bytes
          ? `received ${bytes} bytes, expected ${expectedBytes}`
          : undefined;
    if (mismatch !== undefined) {
      await file.discard();
      throw providerFailure(context, {
        kind: "transient",
        ...TARGET,
        status: response.statusCode,
        detail: mismatch,
      });
    }
    try {
      await file.commit();
    } catch (error) {
      await file.discard();
      throw error;
    }
    return { bytes, sha256: hash.digest("hex"), contentType };
  });
}

/** `downloadTo` into a local file (created or truncated); the caller picks temporary names and renames. */
export function downloadFile(
  context: ProviderCallContext,
  request: Omit<DownloadRequest, "openSink"> & { destinationPath: string },
): Promise<DownloadResult> {
  const { destinationPath, ...rest } = request;
  return downloadTo(context, { ...rest, openSink: () => openFileSink(destinationPath) });
}

function parseHttpUrl(url: string): URL | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function firstHeader(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Names the cap the way a veoq user sets it. */
function describeLimit(limit: number): string {
  return `the download cap of ${limit} bytes (VEOQ_MAX_DOWNLOAD_BYTES)`;
}

function notMp4(head: Buffer, contentType: string | undefined): string {
  return `file is not an MP4 (no ftyp box at offset 4; ${describeFileStart(head)}, Content-Type ${contentType ?? "none"})`;
}

function parseContentLength(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
}
