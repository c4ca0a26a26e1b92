import type { AddressInfo } from "node:net";
import { listeningUrl, type VeoqConfig } from "@veoq/config";
import type { Logger } from "@veoq/logging";
import {
  BatchStore,
  checkRedisSetupUnlessDown,
  createQueues,
  createRedisConnection,
  priceRetry,
  type StartWorkersOptions,
} from "@veoq/pipeline";
import { loadPriceTable, toMicros } from "@veoq/pricing";
import { allowedHostsFor } from "./allowed-hosts.ts";
import { createDashboardApp, type DashboardAppOptions } from "./create-dashboard-app.ts";
import { RedisOutageLog } from "./redis-outage-log.ts";
import { credentialsForBinding } from "./safe-binding.ts";

export interface StartDashboardOptions {
  /** Redis, prefix, DASHBOARD_* settings, submit attempts, poll deadline, time scale. */
  config: VeoqConfig;
  logger: Logger;
  /** Interface to listen on. Default config.dashboardHost (DASHBOARD_HOST, 127.0.0.1). */
  host?: string;
  /** Port (0 = any free one). Default config.dashboardPort (DASHBOARD_PORT, 3000). */
  port?: number;
  /** Passed through to createDashboardApp (e.g. refreshSeconds). */
  app?: Partial<
    Pick<
      DashboardAppOptions,
      | "refreshSeconds"
      | "liveSeconds"
      | "batchLimit"
      | "failedLimit"
      | "redisTimeoutMs"
      | "writeTimeoutMs"
      | "requestSpan"
    >
  >;
  /** BullMQ's own spans on the dashboard's queues (bullmq-otel), when tracing is on. */
  telemetry?: NonNullable<StartWorkersOptions["telemetry"]> | undefined;
}

export interface RunningDashboard {
  /** e.g. "http://127.0.0.1:3000" (for 0.0.0.0 / :: the loopback address is shown). */
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Checks the binding (no credentials off loopback: DashboardStartError before anything
 * starts), connects to Redis and listens. The Redis connection reconnects forever, so the
 * dashboard outlives Redis restarts; pages answer 503 and /readyz fails while Redis is away.
 */
export async function startDashboard(options: StartDashboardOptions): Promise<RunningDashboard> {
  const { config, logger } = options;
  const host = options.host ?? config.dashboardHost;
  const port = options.port ?? config.dashboardPort;
  const credentials = credentialsForBinding(host, config.dashboardUser, config.dashboardPassword);

  await checkRedisSetupUnlessDown(config.redis, config.prefix, (error) =>
    logger.warn(
      { err: error },
      "could not check the Redis setup (Redis unreachable); the dashboard answers 503 until it is up",
    ),
  );
  const redis = createRedisConnection(config.redis, "worker");
  const prices = loadPriceTable(config.prices);
  const outage = new RedisOutageLog({ logger });
  redis.on("error", (error) => outage.error(error));
  redis.on("ready", () => outage.ready());
  const queues = createQueues(
    redis,
    config.prefix,
    options.telemetry === undefined ? {} : { telemetry: options.telemetry },
  );
  for (const queue of [queues.submit, queues.poll, queues.download]) {
    queue.on("error", (error) => outage.related(error, { queue: queue.name }));
  }
  const app = createDashboardApp({
    ...options.app,
    queues,
    store: new BatchStore(redis, config.prefix),
    credentials,
    readOnly: config.dashboardReadOnly,
    allowedHosts: allowedHostsFor(host, config.dashboardAllowedHosts),
    submitAttempts: config.submitAttempts,
    outputDir: config.outputDir,
    stuckRule: { pollDeadlineSeconds: config.pollDeadlineSeconds, timeScale: config.timeScale },
    logger,
    redisOutage: outage,
    priceRetry: (plan) => priceRetry(plan, queues, prices),
    prices,
    dailyBudgetMicros: config.dailyBudget === undefined ? undefined : toMicros(config.dailyBudget),
  });
  const server = await new Promise<import("node:http").Server>((resolve, reject) => {
    const listening = app.listen(port, host, (error?: Error) =>
      error ? reject(error) : resolve(listening),
    );
    listening.once("error", reject);
  }).catch(async (error: unknown) => {
    await queues.close().catch(() => {});
    redis.disconnect();
    throw error;
  });
  const address = server.address() as AddressInfo;
  const url = listeningUrl(address);
  logger.info(
    {
      url,
      host,
      auth: credentials !== undefined,
      readOnly: config.dashboardReadOnly,
      allowedHosts: config.dashboardAllowedHosts,
    },
    "dashboard listening",
  );
  return {
    url,
    host,
    port: address.port,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await queues.close().catch(() => {});
      redis.disconnect();
    },
  };
}
