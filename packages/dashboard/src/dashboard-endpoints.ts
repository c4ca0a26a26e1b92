import type { Logger } from "@veoq/logging";
import { withTimeout } from "@veoq/metrics";
import {
  type BatchStore,
  type RetrySummary,
  retryFailedItems,
  type VeoqQueues,
} from "@veoq/pipeline";
import type { Request } from "express";
import {
  type BatchView,
  type DashboardSnapshot,
  type DashboardSource,
  readBatchView,
  readDashboardSnapshot,
} from "./read-batches.ts";
import type { RedisOutageLog } from "./redis-outage-log.ts";
import { type SearchHit, searchItems } from "./search-items.ts";

/**
 * What an endpoint found, before it is rendered as HTML or JSON: the data, or one of the two
 * refusals every renderer knows how to say (no such thing, read-only dashboard).
 */
export type EndpointOutcome<T> =
  | { kind: "data"; data: T }
  | { kind: "not-found"; what: string; id: string }
  | { kind: "read-only" };

/** One endpoint's data, whatever the format it is shown in. */
export type Endpoint<T> = (request: Request) => Promise<EndpointOutcome<T>>;

export interface SearchResult {
  query: string;
  hits: SearchHit[];
}

export interface DashboardEndpoints {
  overview: Endpoint<DashboardSnapshot>;
  batch: Endpoint<BatchView>;
  /** Re-queues a batch's failed items (refused on a read-only dashboard). */
  retry: Endpoint<RetrySummary>;
  search: Endpoint<SearchResult>;
}

export interface DashboardEndpointsOptions {
  source: DashboardSource;
  store: BatchStore;
  queues: VeoqQueues;
  readOnly: boolean;
  submitAttempts: number;
  batchLimit: number;
  failedLimit: number;
  /** Failed items listed on a batch's own page. */
  detailFailedLimit: number;
  redisTimeoutMs: number;
  now: () => number;
  logger?: Logger | undefined;
  /** Told when a read succeeds (ends a logged outage). */
  redisOutage?: RedisOutageLog | undefined;
}

const data = <T>(value: T): EndpointOutcome<T> => ({ kind: "data", data: value });
const noBatch = (id: string): EndpointOutcome<never> => ({ kind: "not-found", what: "batch", id });

/** The dashboard's endpoints, each once; the HTML pages and the JSON API both call these. */
export function createDashboardEndpoints(options: DashboardEndpointsOptions): DashboardEndpoints {
  const read = async <T>(work: Promise<T>) => {
    const value = await withTimeout(work, options.redisTimeoutMs, "redis");
    options.redisOutage?.ready();
    return value;
  };
  const batchId = (request: Request) => String(request.params.id);
  return {
    overview: async () =>
      data(
        await read(
          readDashboardSnapshot(options.source, {
            now: options.now(),
            batchLimit: options.batchLimit,
            failedLimit: options.failedLimit,
          }),
        ),
      ),
    batch: async (request) => {
      const id = batchId(request);
      const batch = await read(
        readBatchView(options.source, id, {
          now: options.now(),
          failedLimit: options.detailFailedLimit,
        }),
      );
      return batch ? data(batch) : noBatch(id);
    },
    retry: async (request) => {
      if (options.readOnly) return { kind: "read-only" };
      const id = batchId(request);
      if ((await read(options.store.getBatch(id))) === undefined) return noBatch(id);
      const summary = await retryFailedItems(options.store, options.queues, id, {
        submitAttempts: options.submitAttempts,
      });
      options.logger?.info({ batchId: id, ...summary }, "dashboard: failed items re-queued");
      return data(summary);
    },
    search: async (request) => {
      const query = typeof request.query.q === "string" ? request.query.q : "";
      return data({ query, hits: await read(searchItems(options.source, query)) });
    },
  };
}
