import { createHash } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import {
  type CreateRequest,
  ENDPOINTS,
  type EndpointSlug,
  parseCreateResponse,
  parseTaskResult,
  TASK_RESULT_PATH,
  type TaskResult,
} from "@veoq/contract";
import { Agent, type Dispatcher, interceptors, request } from "undici";
import {
  classifyHttpStatus,
  classifyNetworkError,
  describeNetworkError,
} from "./classify-failure.ts";
import { type DownloadSink, openFileSink } from "./download-sink.ts";
import { extractProviderMessage, toMessageLine } from "./extract-provider-message.ts";
import { parseRetryAfter } from "./parse-retry-after.ts";
import { PROVIDER_CLIENT_DEFAULTS, type ProviderClientOptions } from "./provider-client-options.ts";
import {
  isProviderError,
  ProviderError,
  type ProviderErrorInit,
  type ProviderErrorKind,
  type ProviderOperation,
} from "./provider-error.ts";
import { BodyTooLargeError, discardBody, readBodyText } from "./read-body-text.ts";
import { redactSecret } from "./redact-secret.ts";
import { RequestSentTracker } from "./request-sent-tracker.ts";

/** What `downloadFile` wrote. */
export interface DownloadResult {
  /** Bytes written to the destination. */
  bytes: number;
  /** Lower-case hex SHA-256 of those bytes. */
  sha256: string;
  /** The file's `Content-Type`, when it sent one. */
  contentType: string | undefined;
}

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
  /** Streams the file to destinationPath (creating/truncating it), hashing as it goes; verifies Content-Length when present. The caller picks temp names and renames. Only http(s) URLs (else invalid_request). No Authorization header is sent to file URLs on a different origin than baseUrl. Redirects are followed (Authorization dropped on a cross-origin hop). On any failure the partial file is removed; a local file-system error (missing directory, disk full) is rethrown as it is, not as a `ProviderError`. */
  downloadFile(
    url: string,
    destinationPath: string,
    opts?: { signal?: AbortSignal; expectedBytes?: number },
  ): Promise<DownloadResult>;
  /**
   * The same download as `downloadFile`, into any sink (e.g. a multipart upload to an object
   * store): `openSink` is called once the provider answered 2xx with a file; the sink is
   * committed only after the byte count checked out, and discarded on any failure.
   */
  downloadTo(
    url: string,
    openSink: () => Promise<DownloadSink>,
    opts?: { signal?: AbortSignal; expectedBytes?: number },
  ): Promise<DownloadResult>;
  /** Waits for running requests, then closes every pooled socket. */
  close(): Promise<void>;
}

/** Status (when known) of the call being observed, for the `onRequest` event. */
interface CallState {
  status: number | undefined;
}

/** Creates a client with its own undici `Agent` (keep-alive pool per origin). */
export function createProviderClient(options: ProviderClientOptions): ProviderClient {
  const settings = { ...PROVIDER_CLIENT_DEFAULTS, ...withoutUndefined(options) };
  const apiKey = options.apiKey;
  const now = options.now ?? Date.now;
  const base = new URL(options.baseUrl);
  if (base.protocol !== "http:" && base.protocol !== "https:") {
    throw new TypeError(`baseUrl must be an http(s) URL, got ${base.protocol}`);
  }
  const basePath = base.pathname.replace(/\/+$/, "");

  const agent = new Agent({
    connections: settings.connections,
    keepAliveTimeout: settings.keepAliveTimeoutMs,
    headersTimeout: settings.headersTimeoutMs,
    bodyTimeout: settings.bodyTimeoutMs,
    connect: { timeout: settings.connectTimeoutMs },
  });
  // Redirects are followed for files only; undici drops Authorization on a cross-origin hop.
  const downloadDispatcher = agent.compose(
    interceptors.redirect({ maxRedirections: settings.maxDownloadRedirections }),
  );

  const redact = (text: string): string => redactSecret(text, apiKey);

  const fail = (init: ProviderErrorInit): ProviderError =>
    new ProviderError({
      ...init,
      detail: init.detail === undefined ? undefined : redact(init.detail),
    });

  /** Turns a failure without an HTTP answer (or with a broken body) into what the caller sees. */
  const failWithoutAnswer = (
    operation: ProviderOperation,
    endpoint: string,
    error: unknown,
    requestSent: boolean,
    signal: AbortSignal | undefined,
    status?: number,
  ): unknown => {
    if (isProviderError(error)) return error;
    if (signal?.aborted === true) {
      // The caller gave up. A create that reached the provider may still exist: say so.
      if (operation === "create" && requestSent) {
        return fail({
          kind: "ambiguous",
          operation,
          endpoint,
          status,
          detail: "aborted by the caller after the request was sent",
          cause: signal.reason,
        });
      }
      return signal.reason;
    }
    return fail({
      kind: classifyNetworkError(operation, error, requestSent),
      operation,
      endpoint,
      status,
      detail: describeNetworkError(error),
      cause: error,
    });
  };

  /** Builds the error for a non-2xx answer, consuming (or destroying) its body. */
  const failWithStatus = async (
    operation: ProviderOperation,
    endpoint: string,
    response: Dispatcher.ResponseData,
  ): Promise<ProviderError> => {
    const bodyText = await readBodyText(response.body, settings.maxErrorBodyBytes).catch(
      () => undefined,
    );
    const providerMessage = extractProviderMessage(bodyText, apiKey);
    const { kind, limitScope } = classifyHttpStatus(
      operation,
      response.statusCode,
      providerMessage,
    );
    return fail({
      kind,
      operation,
      endpoint,
      status: response.statusCode,
      retryAfterMs: parseRetryAfter(response.headers["retry-after"], now()),
      providerMessage,
      limitScope,
    });
  };

  /** Runs one call, reporting it to `onRequest` whatever happens. */
  const observe = async <T>(
    operation: ProviderOperation,
    endpoint: string,
    run: (state: CallState) => Promise<T>,
  ): Promise<T> => {
    const started = performance.now();
    const state: CallState = { status: undefined };
    let errorKind: ProviderErrorKind | undefined;
    try {
      return await run(state);
    } catch (error) {
      errorKind = isProviderError(error) ? error.kind : undefined;
      throw error;
    } finally {
      try {
        options.onRequest?.({
          operation,
          endpoint,
          status: state.status,
          errorKind,
          durationMs: performance.now() - started,
        });
      } catch {
        // A metrics hook must not change the outcome of a call.
      }
    }
  };

  /** One API call; resolves with the parsed JSON of a 2xx answer. */
  const callApi = async (
    operation: Exclude<ProviderOperation, "download">,
    endpoint: string,
    method: "GET" | "POST",
    path: string,
    body: string | undefined,
    signal: AbortSignal | undefined,
    state: CallState,
  ): Promise<unknown> => {
    const tracker = new RequestSentTracker(agent);
    let response: Dispatcher.ResponseData;
    try {
      response = await request(`${base.origin}${basePath}${path}`, {
        dispatcher: tracker,
        method,
        headers: {
          authorization: `Bearer ${apiKey}`,
          "content-type": "application/json",
          accept: "application/json",
        },
        body,
        signal,
      });
    } catch (error) {
      throw failWithoutAnswer(operation, endpoint, error, tracker.sent, signal);
    }
    state.status = response.statusCode;
    if (response.statusCode < 200 || response.statusCode > 299) {
      throw await failWithStatus(operation, endpoint, response);
    }
    let text: string;
    try {
      text = await readBodyText(response.body, settings.maxApiBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        throw fail({
          kind: "malformed_response",
          operation,
          endpoint,
          status: response.statusCode,
          detail: error.message,
        });
      }
      throw failWithoutAnswer(operation, endpoint, error, true, signal, response.statusCode);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw fail({
        kind: "malformed_response",
        operation,
        endpoint,
        status: response.statusCode,
        detail: `response is not JSON: ${toMessageLine(text)}`,
      });
    }
  };

  const createTask: ProviderClient["createTask"] = (slug, body, opts) =>
    observe("create", slug, async (state) => {
      const spec = ENDPOINTS[slug] as (typeof ENDPOINTS)[EndpointSlug] | undefined;
      if (spec === undefined) {
        throw fail({
          kind: "invalid_request",
          operation: "create",
          endpoint: String(slug),
          detail: "unknown endpoint",
        });
      }
      const json = await callApi(
        "create",
        slug,
        "POST",
        spec.path,
        JSON.stringify(body),
        opts?.signal,
        state,
      );
      const parsed = parseCreateResponse(json);
      if (!parsed.ok) {
        throw fail({
          kind: "malformed_response",
          operation: "create",
          endpoint: slug,
          status: state.status,
          detail: `create response breaks the contract: ${describeIssues(parsed.issues)}`,
        });
      }
      return { taskId: parsed.value.taskId };
    });

  const getTaskResult: ProviderClient["getTaskResult"] = (taskId, opts) =>
    observe("task-result", "task-result", async (state) => {
      if (taskId === "") {
        throw fail({
          kind: "invalid_request",
          operation: "task-result",
          endpoint: "task-result",
          detail: "empty task id",
        });
      }
      const path = `${TASK_RESULT_PATH}?task_id=${encodeURIComponent(taskId)}`;
      const json = await callApi(
        "task-result",
        "task-result",
        "GET",
        path,
        undefined,
        opts?.signal,
        state,
      );
      const parsed = parseTaskResult(json);
      if (!parsed.ok) {
        throw fail({
          kind: "malformed_response",
          operation: "task-result",
          endpoint: "task-result",
          status: state.status,
          detail: `task result breaks the contract: ${describeIssues(parsed.issues)}`,
        });
      }
      return parsed.value;
    });

  const downloadTo: ProviderClient["downloadTo"] = (url, openSink, opts) =>
    observe("download", "file", async (state) => {
      const signal = opts?.signal;
      const target = parseHttpUrl(url);
      if (target === undefined) {
        throw fail({
          kind: "invalid_request",
          operation: "download",
          endpoint: "file",
          detail: "file URL must be an absolute http(s) URL",
        });
      }
      const headers: Record<string, string> = {};
      if (target.origin === base.origin) headers.authorization = `Bearer ${apiKey}`;

      let response: Dispatcher.ResponseData;
      try {
        response = await request(target, {
          dispatcher: downloadDispatcher,
          method: "GET",
          headers,
          signal,
          bodyTimeout: settings.downloadBodyTimeoutMs,
        });
      } catch (error) {
        throw failWithoutAnswer("download", "file", error, true, signal);
      }
      state.status = response.statusCode;
      if (response.statusCode < 200 || response.statusCode > 299) {
        throw await failWithStatus("download", "file", response);
      }
      const contentType = firstHeader(response.headers, "content-type");
      if (contentType !== undefined && /^\s*text\/html\b/i.test(contentType)) {
        await readBodyText(response.body, settings.maxErrorBodyBytes).catch(() => undefined);
        throw fail({
          kind: "malformed_response",
          operation: "download",
          endpoint: "file",
          status: response.statusCode,
          detail: `file URL answered ${contentType} instead of the file`,
        });
      }
      const declaredBytes = parseContentLength(firstHeader(response.headers, "content-length"));

      const hash = createHash("sha256");
      let bytes = 0;
      let sink: DownloadSink;
      try {
        sink = await openSink();
      } catch (error) {
        discardBody(response.body);
        throw error; // A local problem (missing directory, permissions): not the provider's.
      }
      try {
        // Reading and writing are separate steps so a broken stream (the provider's fault)
        // and a failed write (disk full: ours) are told apart.
        const chunks = response.body[Symbol.asyncIterator]();
        for (;;) {
          let next: IteratorResult<Buffer>;
          try {
            next = await chunks.next();
          } catch (error) {
            throw failWithoutAnswer("download", "file", error, true, signal, response.statusCode);
          }
          if (next.done === true) break;
          hash.update(next.value);
          bytes += next.value.length;
          await sink.write(next.value);
        }
      } catch (error) {
        discardBody(response.body);
        await sink.discard();
        throw error;
      }
      const mismatch =
        declaredBytes !== undefined && declaredBytes !== bytes
          ? `received ${bytes} bytes, Content-Length said ${declaredBytes}`
          : opts?.expectedBytes !== undefined && opts.expectedBytes !== bytes
            ? `received ${bytes} bytes, expected ${opts.expectedBytes}`
            : undefined;
      if (mismatch !== undefined) {
        await sink.discard();
        throw fail({
          kind: "transient",
          operation: "download",
          endpoint: "file",
          status: response.statusCode,
          detail: mismatch,
        });
      }
      try {
        await sink.commit();
      } catch (error) {
        await sink.discard();
        throw error;
      }
      return { bytes, sha256: hash.digest("hex"), contentType };
    });

  const downloadFile: ProviderClient["downloadFile"] = (url, destinationPath, opts) =>
    downloadTo(url, () => openFileSink(destinationPath), opts);

  return {
    createTask,
    getTaskResult,
    downloadFile,
    downloadTo,
    close: () => agent.close(),
  };
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
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

function parseContentLength(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

function describeIssues(issues: readonly { path: string; message: string }[]): string {
  return toMessageLine(
    issues
      .map((issue) => `${issue.path === "" ? "(root)" : issue.path}: ${issue.message}`)
      .join("; "),
  );
}
