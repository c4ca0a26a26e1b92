import type { VeoqConfig } from "@veoq/config";
import type { Logger } from "@veoq/logging";
import {
  QUEUE_ROLES,
  type QueueRole,
  type RunningWorkers,
  type StartWorkersOptions,
  shutdownOnSignal,
  startWorkers,
} from "@veoq/pipeline";
import { type RunningWebhookWorker, startWebhookWorker } from "@veoq/webhooks";
import { checkReadiness } from "./check-readiness.ts";
import { registerDeploymentMetrics } from "./deployment-metrics.ts";
import { createMetricsRegistry } from "./metrics-registry.ts";
import { type MetricsServer, startMetricsServer } from "./metrics-server.ts";
import { createPrometheusObserver } from "./prometheus-observer.ts";
import { registerWebhookDeliveryMetrics } from "./webhook-delivery-metrics.ts";
import { WorkerLiveness } from "./worker-liveness.ts";

export interface WorkerProcessOptions {
  config: VeoqConfig;
  apiKey: string;
  roles: readonly QueueRole[];
  /** veoq's version, shown in the process's heartbeat record (`veoq workers`). */
  version?: string;
  /** Item traces and BullMQ's telemetry, when tracing is on (packages/tracing). */
  tracing?: Pick<StartWorkersOptions, "tracer" | "telemetry">;
  /** Per-role concurrency overriding the config. */
  concurrency?: Partial<Record<QueueRole, number>>;
  /** Serve /metrics, /healthz and /readyz here; no server when undefined. */
  metrics?: { host: string; port: number };
  logger: Logger;
  /** Called once the workers (and the metrics server) are up. */
  onStarted?: (started: { metricsUrl: string | undefined }) => void;
}

/** What a list of worker roles must be, completing "<option> must be ...". */
export const WORKER_ROLES_RULE = `a comma-separated list of ${QUEUE_ROLES.join(", ")}`;

/**
 * The roles of a worker process from "submit,poll" (blanks ignored), for `veoq worker --roles`
 * and VEOQ_WORKER_ROLES alike; undefined when the list names no role or an unknown one.
 */
export function parseWorkerRoles(list: string): QueueRole[] | undefined {
  const roles = list
    .split(",")
    .map((r) => r.trim())
    .filter((r) => r.length > 0);
  const isRole = (r: string): r is QueueRole => (QUEUE_ROLES as readonly string[]).includes(r);
  if (roles.length === 0 || !roles.every(isRole)) return undefined;
  return roles;
}

/** A TCP port 0-65535 (the metrics server's, the dashboard's); undefined when it is not one. */
export function parsePort(text: string): number | undefined {
  const n = Number(text);
  return Number.isInteger(n) && n >= 0 && n <= 65_535 ? n : undefined;
}

/**
 * A worker process as `veoq worker` and apps/worker run it: the workers of the given roles, the
 * metrics server when asked for, and a graceful stop on SIGINT/SIGTERM. Resolves once stopped.
 */
/** A started BullMQ worker, as RunningWorkers lists them (one per role, in the roles' order). */
type Worker = RunningWorkers["workers"][number];

export async function runWorkerProcess(options: WorkerProcessOptions): Promise<void> {
  const { config, logger } = options;
  const registry = options.metrics === undefined ? undefined : createMetricsRegistry();
  const running: RunningWorkers = await startWorkers({
    config,
    apiKey: options.apiKey,
    roles: options.roles,
    logger,
    ...(options.version === undefined ? {} : { version: options.version }),
    ...options.tracing,
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(registry === undefined ? {} : { observer: createPrometheusObserver(registry) }),
  });
  // Webhooks out (packages/webhooks): the outbox relay and the delivery queue's worker run in
  // every worker process, whatever its roles.
  let webhooks: RunningWebhookWorker;
  try {
    webhooks = await startWebhookWorker({
      config,
      logger,
      ...(registry === undefined ? {} : { onTry: registerWebhookDeliveryMetrics(registry) }),
      telemetry: options.tracing?.telemetry,
    });
  } catch (error) {
    await running.close();
    throw error;
  }
  let metricsServer: MetricsServer | undefined;
  if (registry !== undefined && options.metrics !== undefined) {
    const { queues, store } = running.context;
    registerDeploymentMetrics(registry, { queues, redis: store.redis, prefix: config.prefix });
    const liveness = new WorkerLiveness({
      workers: options.roles.map((role, i) => ({ role, worker: running.workers[i] as Worker })),
      queues,
      stallMs: config.workerStallSeconds * 1000,
    });
    try {
      metricsServer = await startMetricsServer({
        registry,
        readiness: () => checkReadiness(store),
        liveness: async () => {
          const state = await liveness.check();
          if (!state.live) logger.error({ probe: "livez" }, state.reason);
          return state;
        },
        host: options.metrics.host,
        port: options.metrics.port,
      });
    } catch (error) {
      // No half-started process: a busy metrics port stops the workers too.
      await webhooks.close();
      await running.close();
      throw error;
    }
    logger.info({ url: metricsServer.url }, "metrics server listening");
  }
  const stopped = shutdownOnSignal(async () => {
    await webhooks.close();
    await running.close(config.drainSeconds * 1000);
    await metricsServer?.close();
  }, logger);
  // After the signal handlers are in place: whoever waits for this may stop the process at once.
  options.onStarted?.({ metricsUrl: metricsServer?.url });
  const outcome = await Promise.race([stopped.then(() => undefined), running.fatal]);
  if (outcome !== undefined) {
    // Redis is set up unlike the configuration: stop instead of retrying forever.
    await webhooks.close();
    await metricsServer?.close();
    throw outcome;
  }
}
