import type { VeoqConfig } from "@veoq/config";
import type { Logger } from "@veoq/logging";
import {
  type QueueRole,
  type RunningWorkers,
  shutdownOnSignal,
  startWorkers,
} from "@veoq/pipeline";
import { checkReadiness } from "./check-readiness.ts";
import { createMetricsRegistry } from "./metrics-registry.ts";
import { type MetricsServer, startMetricsServer } from "./metrics-server.ts";
import { createPrometheusObserver } from "./prometheus-observer.ts";
import { registerProviderSlotMetrics } from "./provider-slot-metrics.ts";
import { registerQueueDepthMetrics } from "./queue-depth-metrics.ts";
import { registerSpendMetrics } from "./spend-metrics.ts";

export interface WorkerProcessOptions {
  config: VeoqConfig;
  apiKey: string;
  roles: readonly QueueRole[];
  /** Per-role concurrency overriding the config. */
  concurrency?: Partial<Record<QueueRole, number>>;
  /** Serve /metrics, /healthz and /readyz here; no server when undefined. */
  metrics?: { host: string; port: number };
  logger: Logger;
}

/**
 * A worker process as `veoq worker` and apps/worker run it: the workers of the given roles, the
 * metrics server when asked for, and a graceful stop on SIGINT/SIGTERM. Resolves once stopped.
 */
export async function runWorkerProcess(options: WorkerProcessOptions): Promise<void> {
  const { config, logger } = options;
  const registry = options.metrics === undefined ? undefined : createMetricsRegistry();
  const running: RunningWorkers = await startWorkers({
    config,
    apiKey: options.apiKey,
    roles: options.roles,
    logger,
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(registry === undefined ? {} : { observer: createPrometheusObserver(registry) }),
  });
  let metricsServer: MetricsServer | undefined;
  if (registry !== undefined && options.metrics !== undefined) {
    const { queues, store } = running.context;
    registerQueueDepthMetrics(registry, queues);
    registerProviderSlotMetrics(registry, store.redis, config.prefix);
    registerSpendMetrics(registry, store.redis, config.prefix);
    metricsServer = await startMetricsServer({
      registry,
      readiness: () => checkReadiness(store),
      host: options.metrics.host,
      port: options.metrics.port,
    });
    logger.info({ url: metricsServer.url }, "metrics server listening");
  }
  await shutdownOnSignal(async () => {
    await running.close();
    await metricsServer?.close();
  }, logger);
}
