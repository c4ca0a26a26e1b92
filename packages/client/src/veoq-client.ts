import type {
  BatchListJson,
  BatchObjectJson,
  BudgetJson,
  CreateBatchOptions,
  CreatedBatchJson,
  DeletedBatchJson,
  EstimateResultJson,
  ItemListJson,
  ItemResultJson,
  ItemStateFilter,
  LifecycleJson,
  PriorityJson,
  ProblemJson,
  RetryResultJson,
  WebhookDeliveryJson,
  WebhookDeliveryListJson,
} from "@veoq/api-schemas";
import { VeoqApiError } from "./veoq-api-error.ts";

export interface VeoqClientOptions {
  /** Where the API is: `http://127.0.0.1:3001`. */
  baseUrl: string;
  /** A token of VEOQ_API_TOKENS (omit for an API without tokens, on loopback). */
  token?: string;
  /** Default globalThis.fetch. */
  fetch?: typeof fetch;
  /**
   * Tries per POST/PUT that fails on the network, with a 5xx, a 429 or a 409 of a key still
   * running: each retry sends the same Idempotency-Key, so nothing is enqueued or paid twice.
   * Default 4. Streamed bodies are sent once (they cannot be replayed).
   */
  attempts?: number;
  /** First retry delay in ms, doubled each time (a Retry-After overrides it). Default 500. */
  retryDelayMs?: number;
}

/** Per call: the Idempotency-Key to send (default: a new random one per call, kept across its retries). */
export interface MutationOptions {
  idempotencyKey?: string;
}

/** A manifest as NDJSON: text, bytes, or a stream of chunks (streamed to the API). */
export type NdjsonManifest = string | Uint8Array | AsyncIterable<Uint8Array>;

/**
 * A typed client of the veoq HTTP API (ESM, fetch only). Its types are the API's own, from the
 * zod schemas the server parses and answers with.
 */
export class VeoqClient {
  readonly #baseUrl: string;
  readonly #token: string | undefined;
  readonly #fetch: typeof fetch;
  readonly #attempts: number;
  readonly #retryDelayMs: number;

  constructor(options: VeoqClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.#token = options.token;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#attempts = Math.max(1, options.attempts ?? 4);
    this.#retryDelayMs = options.retryDelayMs ?? 500;
  }

  /** POST /v1/batches with the lines as JSON `items` (objects of the manifest format). */
  createBatch(
    items: readonly unknown[],
    options: CreateBatchOptions & MutationOptions = {},
  ): Promise<CreatedBatchJson> {
    const { idempotencyKey, ...fields } = options;
    return this.#send("POST", "/v1/batches", { json: { ...fields, items }, idempotencyKey });
  }

  /**
   * POST /v1/batches with the manifest as NDJSON, streamed (the options go in the query). A
   * stream is sent once; text or bytes are retried with the same Idempotency-Key.
   */
  createBatchFromNdjson(
    manifest: NdjsonManifest,
    options: CreateBatchOptions & MutationOptions = {},
  ): Promise<CreatedBatchJson> {
    const { idempotencyKey, webhook_events, ...fields } = options;
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(fields)) {
      if (value !== undefined) query.set(name, String(value));
    }
    if (webhook_events !== undefined) query.set("webhook_events", webhook_events.join(","));
    const search = query.size > 0 ? `?${query}` : "";
    return this.#send("POST", `/v1/batches${search}`, { ndjson: manifest, idempotencyKey });
  }

  /** GET /v1/batches: the newest batches. */
  listBatches(options: { limit?: number } = {}): Promise<BatchListJson> {
    return this.#send("GET", `/v1/batches${searchOf(options)}`);
  }

  getBatch(batchId: string): Promise<BatchObjectJson> {
    return this.#send("GET", `/v1/batches/${enc(batchId)}`);
  }

  /** One page of items; pass `next_cursor` back as `cursor` for the next. */
  listItems(
    batchId: string,
    options: { state?: ItemStateFilter; cursor?: string; limit?: number } = {},
  ): Promise<ItemListJson> {
    return this.#send("GET", `/v1/batches/${enc(batchId)}/items${searchOf(options)}`);
  }

  /** Every item of a batch (optionally of one state), page after page. */
  async *items(
    batchId: string,
    options: { state?: ItemStateFilter; pageSize?: number } = {},
  ): AsyncGenerator<ItemResultJson> {
    let cursor: string | undefined;
    do {
      const page = await this.listItems(batchId, {
        ...(options.state === undefined ? {} : { state: options.state }),
        ...(cursor === undefined ? {} : { cursor }),
        ...(options.pageSize === undefined ? {} : { limit: options.pageSize }),
      });
      yield* page.items;
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined);
  }

  getItem(batchId: string, customId: string): Promise<ItemResultJson> {
    return this.#send("GET", `/v1/batches/${enc(batchId)}/items/${enc(customId)}`);
  }

  /** GET /v1/batches/{id}/results: every item's result line, parsed as it streams in. */
  async *results(
    batchId: string,
    options: { order?: "manifest" | "finished" } = {},
  ): AsyncGenerator<ItemResultJson> {
    const query = options.order === undefined ? "" : `?order=${options.order}`;
    const response = await this.#fetchChecked(
      "GET",
      `/v1/batches/${enc(batchId)}/results${query}`,
      {},
    );
    if (response.body === null) return;
    const decoder = new TextDecoder();
    let pending = "";
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      pending += decoder.decode(chunk, { stream: true });
      let newline = pending.indexOf("\n");
      while (newline >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (line.trim() !== "") yield JSON.parse(line) as ItemResultJson;
        newline = pending.indexOf("\n");
      }
    }
    pending += decoder.decode();
    if (pending.trim() !== "") yield JSON.parse(pending) as ItemResultJson;
  }

  pause(batchId: string, options: MutationOptions = {}): Promise<LifecycleJson> {
    return this.#send("POST", `/v1/batches/${enc(batchId)}/pause`, {
      idempotencyKey: options.idempotencyKey,
    });
  }

  resume(batchId: string, options: MutationOptions = {}): Promise<LifecycleJson> {
    return this.#send("POST", `/v1/batches/${enc(batchId)}/resume`, {
      idempotencyKey: options.idempotencyKey,
    });
  }

  cancel(
    batchId: string,
    options: { dropInFlight?: boolean } & MutationOptions = {},
  ): Promise<LifecycleJson> {
    return this.#send("POST", `/v1/batches/${enc(batchId)}/cancel`, {
      json: options.dropInFlight === undefined ? {} : { drop_in_flight: options.dropInFlight },
      idempotencyKey: options.idempotencyKey,
    });
  }

  /**
   * DELETE /v1/batches/{id}: removes the batch's records, jobs and index entries (`files`: also
   * its output files or objects). 409 while items are in flight unless it was cancelled first.
   */
  deleteBatch(
    batchId: string,
    options: { files?: boolean } & MutationOptions = {},
  ): Promise<DeletedBatchJson> {
    return this.#send(
      "DELETE",
      `/v1/batches/${enc(batchId)}${options.files === true ? "?files=1" : ""}`,
      { idempotencyKey: options.idempotencyKey },
    );
  }

  /**
   * Retries the failed items. Paid re-submissions need `maxResubmits` (default 0): a plan that
   * pays for more answers 409 with `problem.retry_plan` and re-queues nothing.
   */
  retry(
    batchId: string,
    options: { includePermanent?: boolean; maxResubmits?: number } & MutationOptions = {},
  ): Promise<RetryResultJson> {
    return this.#send("POST", `/v1/batches/${enc(batchId)}/retry`, {
      json: {
        ...(options.includePermanent === undefined
          ? {}
          : { include_permanent: options.includePermanent }),
        ...(options.maxResubmits === undefined ? {} : { max_resubmits: options.maxResubmits }),
      },
      idempotencyKey: options.idempotencyKey,
    });
  }

  /** PUT /v1/batches/{id}/budget, in the price table's currency. */
  setBudget(batchId: string, budget: number, options: MutationOptions = {}): Promise<BudgetJson> {
    return this.#send("PUT", `/v1/batches/${enc(batchId)}/budget`, {
      json: { budget },
      idempotencyKey: options.idempotencyKey,
    });
  }

  setPriority(
    batchId: string,
    priority: "high" | "normal" | "low",
    options: MutationOptions = {},
  ): Promise<PriorityJson> {
    return this.#send("PUT", `/v1/batches/${enc(batchId)}/priority`, {
      json: { priority },
      idempotencyKey: options.idempotencyKey,
    });
  }

  /** POST /v1/estimate: what the lines would cost; nothing is enqueued. */
  estimate(items: readonly unknown[]): Promise<EstimateResultJson> {
    return this.#send("POST", "/v1/estimate", { json: { items } });
  }

  /** GET /v1/batches/{id}/webhooks: the batch's webhook deliveries with each try's status. */
  webhookDeliveries(batchId: string): Promise<WebhookDeliveryListJson> {
    return this.#send("GET", `/v1/batches/${enc(batchId)}/webhooks`);
  }

  /** POST /v1/webhooks/{delivery_id}/replay: sends a delivery again (same body and webhook-id). */
  replayWebhook(deliveryId: string, options: MutationOptions = {}): Promise<WebhookDeliveryJson> {
    return this.#send("POST", `/v1/webhooks/${enc(deliveryId)}/replay`, {
      idempotencyKey: options.idempotencyKey,
    });
  }

  /** The URL of an item's n-th saved video (GET it with this client's token: `downloadFile`). */
  fileUrl(batchId: string, customId: string, index: number): string {
    return `${this.#baseUrl}/v1/files/${enc(batchId)}/${enc(customId)}/${index}`;
  }

  /** GET the n-th saved video: the response, its body streaming (redirects to S3 followed). */
  downloadFile(batchId: string, customId: string, index: number): Promise<Response> {
    return this.#fetchChecked("GET", `/v1/files/${enc(batchId)}/${enc(customId)}/${index}`, {});
  }

  /** Polls a batch until every item is final; resolves with the final batch. */
  async waitForBatch(
    batchId: string,
    options: { intervalMs?: number; timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<BatchObjectJson> {
    const deadline = Date.now() + (options.timeoutMs ?? Number.POSITIVE_INFINITY);
    for (;;) {
      const batch = await this.getBatch(batchId);
      if (batch.finished) return batch;
      options.signal?.throwIfAborted();
      if (Date.now() > deadline) {
        throw new Error(
          `batch ${batchId} not finished after ${options.timeoutMs} ms (${batch.done}/${batch.total} final)`,
        );
      }
      await sleep(options.intervalMs ?? 2000);
    }
  }

  async #send<T>(
    method: "GET" | "POST" | "PUT" | "DELETE",
    path: string,
    body: { json?: unknown; ndjson?: NdjsonManifest; idempotencyKey?: string | undefined } = {},
  ): Promise<T> {
    const response = await this.#fetchChecked(method, path, body);
    return (await response.json()) as T;
  }

  async #fetchChecked(
    method: "GET" | "POST" | "PUT" | "DELETE",
    path: string,
    body: { json?: unknown; ndjson?: NdjsonManifest; idempotencyKey?: string | undefined },
  ): Promise<Response> {
    const mutating = method !== "GET";
    const key = mutating ? (body.idempotencyKey ?? crypto.randomUUID()) : undefined;
    const streamed =
      body.ndjson !== undefined &&
      typeof body.ndjson === "object" &&
      !(body.ndjson instanceof Uint8Array);
    const attempts = streamed ? 1 : this.#attempts;
    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = {};
      if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
      if (key !== undefined) headers["idempotency-key"] = key;
      let payload: RequestInit["body"];
      if (body.json !== undefined) {
        headers["content-type"] = "application/json";
        payload = JSON.stringify(body.json);
      } else if (body.ndjson !== undefined) {
        headers["content-type"] = "application/x-ndjson";
        payload = streamed
          ? (ReadableStream.from(body.ndjson as AsyncIterable<Uint8Array>) as RequestInit["body"])
          : (body.ndjson as string | Uint8Array as RequestInit["body"]);
      }
      let response: Response | undefined;
      let failure: unknown;
      try {
        response = await this.#fetch(`${this.#baseUrl}${path}`, {
          method,
          headers,
          ...(payload === undefined ? {} : { body: payload }),
          ...(streamed ? { duplex: "half" } : {}),
        } as RequestInit);
      } catch (error) {
        failure = error;
      }
      if (response?.ok) return response;
      const retryAfter = retryAfterOf(response);
      const retryable =
        response === undefined ||
        response.status >= 500 ||
        response.status === 429 ||
        (response.status === 409 && retryAfter !== undefined);
      if (
        !retryable ||
        attempt >= attempts ||
        (!mutating && response !== undefined && response.status !== 429 && response.status < 500)
      ) {
        if (response === undefined) throw failure;
        throw new VeoqApiError(await problemOf(response), retryAfter);
      }
      await response?.body?.cancel();
      await sleep(
        retryAfter !== undefined ? retryAfter * 1000 : this.#retryDelayMs * 2 ** (attempt - 1),
      );
    }
  }
}

const enc = encodeURIComponent;

function searchOf(options: Record<string, string | number | undefined>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(options)) {
    if (value !== undefined) query.set(name, String(value));
  }
  return query.size > 0 ? `?${query}` : "";
}

function retryAfterOf(response: Response | undefined): number | undefined {
  const value = response?.headers.get("retry-after");
  if (value == null) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

async function problemOf(response: Response): Promise<ProblemJson> {
  const text = await response.text();
  try {
    const parsed = JSON.parse(text) as ProblemJson;
    if (typeof parsed.status === "number" && typeof parsed.title === "string") return parsed;
  } catch {
    // not a problem document: described below
  }
  return {
    type: "about:blank",
    title: response.statusText || "HTTP error",
    status: response.status,
    detail: text.slice(0, 500),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
