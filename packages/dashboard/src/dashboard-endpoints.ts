import type { Logger } from "@veoq/logging";
import { TimeoutError, withTimeout } from "@veoq/metrics";
import {
  BatchControl,
  type BatchStore,
  cancelBatch,
  pauseBatch,
  planRetry,
  RetryDeadlineError,
  type RetryPlan,
  RetryPlanChangedError,
  type RetrySummary,
  redisServerDeadline,
  resumeBatch,
  retryFailedItems,
  SpendLedger,
  type VeoqQueues,
} from "@veoq/pipeline";
import type { PriceTable } from "@veoq/pricing";
import { readDeliveryLog } from "@veoq/webhooks";
import { type DashboardRequest, fieldOf } from "./dashboard-route.ts";
import {
  type BatchView,
  type DashboardSnapshot,
  type DashboardSource,
  readBatchView,
  readDashboardSnapshot,
} from "./read-batches.ts";
import { type ItemExtras, readItemExtras } from "./read-item-extras.ts";
import {
  type ItemPage,
  type ItemRow,
  itemPageQuery,
  readItemPage,
  readItemRow,
} from "./read-items.ts";
import type { RedisOutageLog } from "./redis-outage-log.ts";
import { type JobLink, readJobLinks, type SearchHit, searchItems } from "./search-items.ts";

/**
 * What an endpoint found, before it is rendered as HTML or JSON: the data, or one of the two
 * refusals every renderer knows how to say (no such thing, read-only dashboard).
 */
export type EndpointOutcome<T> =
  | { kind: "data"; data: T }
  | { kind: "not-found"; what: string; id: string }
  | { kind: "read-only" }
  /** The request's own fields are wrong (an amount that is not one). */
  | { kind: "invalid"; message: string }
  /** The request no longer fits what is there (a retry would pay for more than agreed). */
  | { kind: "conflict"; message: string; retryPlan?: RetryPlan };

/** One endpoint's data, whatever the format it is shown in. */
export type Endpoint<T> = (request: DashboardRequest) => Promise<EndpointOutcome<T>>;

export interface SearchResult {
  query: string;
  hits: SearchHit[];
}

/** One item with its jobs still in the queues, its request, price and history. */
export interface ItemDetail {
  batchId: string;
  row: ItemRow;
  jobs: JobLink[];
  extras: ItemExtras;
}

/** What a retry of a batch would do, and the choices that plan was made with. */
export interface RetryPlanView {
  plan: RetryPlan;
  /** The re-submissions' estimated cost, when the dashboard has a price table (see priceRetry). */
  estimatedCostUsd: number | undefined;
}

export interface DashboardEndpoints {
  overview: Endpoint<DashboardSnapshot>;
  batch: Endpoint<BatchView>;
  /** One page of a batch's items (`state`, `offset`, `limit`). */
  items: Endpoint<ItemPage>;
  item: Endpoint<ItemDetail>;
  /** What a retry would do (`include_permanent`); touches nothing. */
  retryPlan: Endpoint<RetryPlanView>;
  /**
   * Re-queues a batch's failed items as planned (`include_permanent`; `max_resubmits`, the paid
   * re-submissions agreed to, refuses with a conflict a plan that pays for more; without it,
   * nothing paid is agreed to). Refused on a read-only dashboard.
   */
  retry: Endpoint<RetrySummary>;
  /** Pauses, resumes or cancels a batch (refused on a read-only dashboard, like retry). */
  lifecycle: Endpoint<{ action: LifecycleAction; changed: boolean }>;
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
  /** Bound of a lifecycle write (see DashboardAppOptions.writeTimeoutMs). */
  writeTimeoutMs: number;
  now: () => number;
  logger?: Logger | undefined;
  /** Estimated cost (USD) of a retry plan's re-submissions; undefined: not estimated. */
  priceRetry?: ((plan: RetryPlan) => Promise<number | undefined>) | undefined;
  /** Told when a read succeeds (ends a logged outage). */
  redisOutage?: RedisOutageLog | undefined;
  /** The price table an item's cost is shown from; undefined: not priced. */
  prices?: PriceTable | undefined;
}

/** What the dashboard's batch buttons do (`/batches/:id/<action>`). */
export const LIFECYCLE_ACTIONS = ["pause", "resume", "cancel"] as const;
export type LifecycleAction = (typeof LIFECYCLE_ACTIONS)[number];

const data = <T>(value: T): EndpointOutcome<T> => ({ kind: "data", data: value });
const noBatch = (id: string): EndpointOutcome<never> => ({ kind: "not-found", what: "batch", id });

/** The dashboard's endpoints, each once; the HTML pages and the JSON API both call these. */
export function createDashboardEndpoints(options: DashboardEndpointsOptions): DashboardEndpoints {
  const read = async <T>(work: Promise<T>) => {
    const value = await withTimeout(work, options.redisTimeoutMs, "redis");
    options.redisOutage?.ready();
    return value;
  };
  const batchId = (request: DashboardRequest) => String(request.params.id);
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
      if (!batch) return noBatch(id);
      const { redis, prefix } = options.store;
      const [webhookDeliveries, timeline] = await Promise.all([
        read(readDeliveryLog({ redis, prefix }, id)),
        read(options.store.timeline.read(id)),
      ]);
      return data({ ...batch, webhookDeliveries, timeline });
    },
    items: async (request) => {
      const id = batchId(request);
      if ((await read(options.store.getBatch(id))) === undefined) return noBatch(id);
      const query = itemPageQuery(request.query as Record<string, unknown>);
      return data(await read(readItemPage(options.store, options.queues, id, query)));
    },
    item: async (request) => {
      const id = batchId(request);
      const customId = String(request.params.customId);
      const row = await read(readItemRow(options.store, options.queues, id, customId));
      if (!row) return { kind: "not-found", what: "item", id: `${id}/${customId}` };
      const result = await read(options.store.itemResult(id, customId));
      const [jobs, extras] = await Promise.all([
        read(readJobLinks(options.source, id, customId, result?.submission)),
        read(readItemExtras(options.queues, row, id, result, options.prices)),
      ]);
      return data({ batchId: id, row, jobs, extras });
    },
    retryPlan: async (request) => {
      const id = batchId(request);
      if ((await read(options.store.getBatch(id))) === undefined) return noBatch(id);
      const plan = await read(
        planRetry(options.store, id, { includePermanent: includePermanentOf(request) }),
      );
      return data({ plan, estimatedCostUsd: await options.priceRetry?.(plan) });
    },
    retry: async (request) => {
      if (options.readOnly) return { kind: "read-only" };
      const id = batchId(request);
      if ((await read(options.store.getBatch(id))) === undefined) return noBatch(id);
      // No `max_resubmits`: no agreement to pay, so a plan with paid re-submissions is refused.
      const agreed = maxResubmitsOf(request);
      // Bounded like a lifecycle write: each item's re-queue carries a deadline on the Redis
      // server's clock (a little before the answer goes out, so what the answer counts is all
      // that is applied), and the loop stops when the answer has gone.
      const deadline = await read(
        redisServerDeadline(options.store.redis, options.writeTimeoutMs - answerMarginMs(options)),
      );
      const gaveUp = new AbortController();
      let retried = 0;
      let work: Promise<RetrySummary> | undefined;
      try {
        work = retryFailedItems(options.store, options.queues, id, {
          submitAttempts: options.submitAttempts,
          includePermanent: includePermanentOf(request),
          maxResubmits: agreed ?? 0,
          deadline,
          signal: gaveUp.signal,
          onRetried: () => {
            retried++;
          },
        });
        const summary = await withTimeout(work, options.writeTimeoutMs);
        options.logger?.info(
          {
            batchId: id,
            retried: summary.retried,
            skipped: summary.skipped.length,
            ...summary.plan.counts,
            permanent: summary.plan.permanent,
            includePermanent: summary.plan.includePermanent,
          },
          "dashboard: failed items re-queued",
        );
        return data(summary);
      } catch (error) {
        if (error instanceof TimeoutError || error instanceof RetryDeadlineError) {
          gaveUp.abort();
          const done = error instanceof RetryDeadlineError ? error.summary.retried : retried;
          // The answer counts what had landed; should Redis still report more, say so.
          work
            ?.catch(() => {})
            .finally(() => {
              if (retried !== done) {
                options.logger?.warn(
                  { batchId: id, answered: done, retried },
                  "dashboard: retry re-queued more items than its 503 said",
                );
              }
            });
          options.logger?.warn(
            { batchId: id, retried: done },
            "dashboard: retry stopped at its deadline",
          );
          throw new Error(
            done === 0
              ? `redis: no answer within ${options.writeTimeoutMs} ms; the retry was not applied (nothing was re-queued)`
              : `redis: no answer within ${options.writeTimeoutMs} ms; the retry was applied in part: ${done} items were re-queued, the rest were not; running the retry again is safe (it re-queues only what is still failed)`,
          );
        }
        if (!(error instanceof RetryPlanChangedError)) throw error;
        const message =
          agreed === undefined
            ? `retry would re-submit ${error.plan.counts.resubmit} items (paid) and the request has no max_resubmits: send max_resubmits=${error.plan.counts.resubmit} (the resubmit count of GET /api/batches/${id}/retry-plan) to agree to pay; nothing was re-queued`
            : error.message;
        return { kind: "conflict", message, retryPlan: error.plan };
      }
    },
    lifecycle: async (request) => {
      if (options.readOnly) return { kind: "read-only" };
      const id = batchId(request);
      const action = String(request.params.action) as LifecycleAction;
      if (!LIFECYCLE_ACTIONS.includes(action))
        return { kind: "not-found", what: "action", id: action };
      const { redis, prefix } = options.store;
      // Bounded, and never applied after the bound: the control write carries a deadline on
      // the Redis server's clock, so a write still queued behind a stalled Redis when the answer
      // went out is refused once Redis runs again.
      const write = async (): Promise<
        EndpointOutcome<{ action: LifecycleAction; changed: boolean }>
      > => {
        const deadline = await redisServerDeadline(redis, options.writeTimeoutMs);
        if ((await options.store.getBatch(id)) === undefined) return noBatch(id);
        const life = {
          store: options.store,
          queues: options.queues,
          control: new BatchControl(redis, prefix),
          spend: new SpendLedger(redis, prefix),
          deadline,
        };
        const changed =
          action === "pause"
            ? await pauseBatch(life, id)
            : action === "resume"
              ? await resumeBatch(life, id)
              : (await cancelBatch(life, id, { dropInFlight: false })).changed;
        options.logger?.info({ batchId: id, action, changed }, `dashboard: batch ${action}`);
        return data({ action, changed });
      };
      const outcome = await withTimeout(write(), options.writeTimeoutMs).catch((error: unknown) => {
        if (error instanceof TimeoutError) {
          throw new Error(
            `redis: no answer within ${options.writeTimeoutMs} ms; the ${action} was not applied`,
          );
        }
        throw error;
      });
      options.redisOutage?.ready();
      return outcome;
    },
    search: async (request) => {
      const query = typeof request.query.q === "string" ? request.query.q : "";
      return data({ query, hits: await read(searchItems(options.source, query)) });
    },
  };
}

/**
 * How much earlier than the answer a retry's writes stop being applied (ms): a write Redis ran
 * just before its deadline has its reply back before the answer counts it. A tenth of the
 * bound, at most 500 ms.
 */
function answerMarginMs(options: { writeTimeoutMs: number }): number {
  return Math.min(500, Math.floor(options.writeTimeoutMs / 10));
}

/** `include_permanent`: "1"/"true"/"on" (a checked box) or true. */
function includePermanentOf(request: DashboardRequest): boolean {
  const value = fieldOf(request, "include_permanent");
  return value === true || value === "1" || value === "true" || value === "on";
}

/** `max_resubmits`: the paid re-submissions agreed to, a whole number; undefined when absent. */
function maxResubmitsOf(request: DashboardRequest): number | undefined {
  const value = fieldOf(request, "max_resubmits");
  if (value === undefined || value === "") return undefined;
  const n = typeof value === "number" ? value : Number(value);
  // Anything else agrees to nothing: a malformed limit must not pay without one.
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}
