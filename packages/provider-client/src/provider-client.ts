import type { CreateRequest, EndpointSlug, TaskResult } from "@veoq/contract";
import { createTask, getTaskResult } from "./api-calls.ts";
import { type DownloadResult, downloadFile, downloadTo } from "./download-file.ts";
import type { DownloadSink } from "./download-sink.ts";
import { createProviderCallContext } from "./provider-call-context.ts";
import type { ProviderClientOptions } from "./provider-client-options.ts";

/** The jiekou API over one keep-alive connection pool. Every failure is a `ProviderError`. */
export interface ProviderClient {
  /** `POST /v3/async/<slug>`; resolves with the provider's task id. */
  createTask(
    slug: EndpointSlug,
    body: CreateRequest,
    opts?: { signal?: AbortSignal },
  ): Promise<{ taskId: string }>;
  /** `GET /v3/async/task-result?task_id=<id>`, checked against the contract. */
  getTaskResult(taskId: string, opts?: { signal?: AbortSignal }): Promise<TaskResult>;
  /** Streams the file to destinationPath (creating/truncating it), hashing as it goes; verifies Content-Length when present. The caller picks temp names and renames. Only http(s) URLs (else invalid_request). No Authorization header is sent to file URLs on a different origin than baseUrl. Redirects are followed hop by hop, to http(s) only (else invalid_request), the Authorization header dropped once a hop leaves the API origin. A file over maxDownloadBytes, or whose bytes do not start with an MP4 `ftyp` box, is refused as invalid_request. On any failure the partial file is removed; a local file-system error (missing directory, disk full) is rethrown as it is, not as a `ProviderError`. */
  downloadFile(
    url: string,
    destinationPath: string,
    opts?: { signal?: AbortSignal; expectedBytes?: number },
  ): Promise<DownloadResult>;
  /**
   * The same download as `downloadFile`, into any sink (e.g. a multipart upload to an object
   * store): `openSink` is called once the provider answered 2xx with a file; the sink is
   * committed only after every check passed, and discarded on any failure.
   */
  downloadTo(
    url: string,
    openSink: () => Promise<DownloadSink>,
    opts?: { signal?: AbortSignal; expectedBytes?: number },
  ): Promise<DownloadResult>;
  /** Waits for running requests, then closes every pooled socket. */
  close(): Promise<void>;
}

/**
 * Creates a client with its own undici `Agent` (keep-alive pool per origin). The calls live in
 * `api-calls.ts` and `download-file.ts`; this binds them to one shared `ProviderCallContext`.
 */
export function createProviderClient(options: ProviderClientOptions): ProviderClient {
  const context = createProviderCallContext(options);
  return {
    createTask: (slug, body, opts) => createTask(context, { slug, body, signal: opts?.signal }),
    getTaskResult: (taskId, opts) => getTaskResult(context, { taskId, signal: opts?.signal }),
    downloadFile: (url, destinationPath, opts) =>
      downloadFile(context, {
        url,
        destinationPath,
        signal: opts?.signal,
        expectedBytes: opts?.expectedBytes,
      }),
    downloadTo: (url, openSink, opts) =>
      downloadTo(context, {
        url,
        openSink,
        signal: opts?.signal,
        expectedBytes: opts?.expectedBytes,
      }),
    close: () => context.agent.close(),
  };
}
