import type { VeoqConfig } from "@veoq/config";
import type { Logger } from "@veoq/logging";
import type { S3ObjectStore } from "@veoq/object-store";
import {
  BatchControl,
  type BatchStore,
  type ItemTracer,
  type LifecycleContext,
  type RedisConnection,
  SpendLedger,
  type VeoqQueues,
} from "@veoq/pipeline";
import type { PriceTable } from "@veoq/pricing";

/** What every handler may use: built once per process (start-api.ts) and passed in. */
export interface ApiContext {
  config: VeoqConfig;
  redis: RedisConnection;
  store: BatchStore;
  queues: VeoqQueues;
  control: BatchControl;
  spend: SpendLedger;
  prices: PriceTable;
  /** The bucket of VEOQ_OUTPUT_URL, if set. */
  objectStore: S3ObjectStore | undefined;
  logger: Logger;
  now: () => number;
  /**
   * Opens the trace of each item a request enqueues, as a child of the request's span, when
   * tracing is on (packages/tracing's requestItemTracer); none otherwise.
   */
  tracer?: ItemTracer | undefined;
}

export function createApiContext(parts: Omit<ApiContext, "control" | "spend">): ApiContext {
  return {
    ...parts,
    control: new BatchControl(parts.redis, parts.config.prefix),
    spend: new SpendLedger(parts.redis, parts.config.prefix),
  };
}

/** The records the lifecycle operations (pause, resume, cancel, budget) take. */
export function lifecycleOf(context: ApiContext): LifecycleContext {
  return {
    store: context.store,
    queues: context.queues,
    control: context.control,
    spend: context.spend,
    now: context.now,
  };
}
