import { requireApiKey } from "@veoq/config";
import { createLogger } from "@veoq/logging";
import {
  checkReadiness,
  createMetricsRegistry,
  createPrometheusObserver,
  type MetricsServer,
  registerQueueDepthMetrics,
  startMetricsServer,
} from "@veoq/metrics";
import { shutdownOnSignal, startWorkers } from "@veoq/pipeline";
import { loadWorkerEnvironment } from "./env.ts";

/**
 * Standalone worker process (containers, systemd): the same workers as `veoq worker`, set up
 * from the environment only (see env.ts), with the metrics server when VEOQ_METRICS_PORT is set.
 */
async function main(): Promise<void> {
  const { config, roles, metricsPort, metricsHost } = loadWorkerEnvironment();
  const apiKey = requireApiKey(config);
  const logger = createLogger({ name: "worker", level: config.logLevel, secrets: [apiKey] });
  const registry = metricsPort === undefined ? undefined : createMetricsRegistry();
  const running = await startWorkers({
    config,
    apiKey,
    roles,
    logger,
    ...(registry === undefined ? {} : { observer: createPrometheusObserver(registry) }),
  });
  let metricsServer: MetricsServer | undefined;
  if (registry !== undefined) {
    const { queues, store } = running.context;
    registerQueueDepthMetrics(registry, queues);
    metricsServer = await startMetricsServer({
      registry,
      readiness: () => checkReadiness(store),
      host: metricsHost,
      port: metricsPort,
    });
    logger.info({ url: metricsServer.url }, "metrics server listening");
  }
  await shutdownOnSignal(async () => {
    await running.close();
    await metricsServer?.close();
  }, logger);
}

main().catch((error: unknown) => {
  process.stderr.write(`veoq worker: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
