import type { BatchStore, VeoqQueues } from "@veoq/pipeline";
import type { Registry } from "prom-client";
import { registerBatchMetrics } from "./batch-metrics.ts";
import { registerCredentialsStopMetrics } from "./credentials-stop-metrics.ts";
import { registerDownloadExpiryMetrics } from "./download-expiry-metrics.ts";
import { registerKeyMetrics } from "./key-metrics.ts";
import { registerProviderSlotMetrics } from "./provider-slot-metrics.ts";
import { registerQueueDepthMetrics } from "./queue-depth-metrics.ts";
import { registerRedisMemoryMetrics } from "./redis-memory-metrics.ts";
import { registerSpendMetrics } from "./spend-metrics.ts";
import { registerWorkerMetrics } from "./worker-metrics.ts";

/**
 * The gauges read from Redis on scrape that describe the whole deployment, not one process:
 * queue depth, provider slots, money reserved, batches paused or cancelled, live workers per
 * role, the credentials stop, open batches' items and money, the soonest-expiring waiting
 * download, Redis memory. A worker's /metrics and the dashboard's both export them (the same numbers from any).
 */
export function registerDeploymentMetrics(
  registry: Registry,
  source: { queues: VeoqQueues; store: BatchStore },
): void {
  registerQueueDepthMetrics(registry, source.queues);
  registerProviderSlotMetrics(registry, source.store);
  registerKeyMetrics(registry, source.store);
  registerSpendMetrics(registry, source.store);
  registerWorkerMetrics(registry, source.store);
  registerCredentialsStopMetrics(registry, source.store);
  registerBatchMetrics(registry, source.store);
  registerDownloadExpiryMetrics(registry, source.queues);
  registerRedisMemoryMetrics(registry, source.store.redis);
}
