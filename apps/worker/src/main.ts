import { requireApiKey, secretValues } from "@veoq/config";
import { createLogger } from "@veoq/logging";
import { runWorkerProcess } from "@veoq/metrics";
import { loadWorkerEnvironment } from "./env.ts";

/**
 * Standalone worker process (containers, systemd): the same workers as `veoq worker`, set up
 * from the environment only (see env.ts), with the metrics server when VEOQ_METRICS_PORT is set.
 */
async function main(): Promise<void> {
  const { config, roles, metricsPort, metricsHost } = loadWorkerEnvironment();
  const apiKey = requireApiKey(config);
  const logger = createLogger({
    name: "worker",
    level: config.logLevel,
    secrets: secretValues(config),
  });
  await runWorkerProcess({
    config,
    apiKey,
    roles,
    logger,
    ...(metricsPort === undefined ? {} : { metrics: { host: metricsHost, port: metricsPort } }),
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`veoq worker: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
