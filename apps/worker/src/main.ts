import { readFileSync } from "node:fs";
import { requireApiKey, secretValues } from "@veoq/config";
import { createLogger } from "@veoq/logging";
import { runWorkerProcess } from "@veoq/metrics";
import { startTracing, tracingRequested } from "@veoq/tracing";
import { loadWorkerEnvironment } from "./env.ts";

/**
 * Standalone worker process (containers, systemd): the same workers as `veoq worker`, set up
 * from the environment only (see env.ts), with the metrics server when VEOQ_METRICS_PORT is set.
 */
/** This app's version (apps/worker/package.json), shown in the worker's heartbeat record. */
function appVersion(): string {
  const { version } = JSON.parse(
    readFileSync(new URL("../package.json", import.meta.url), "utf8"),
  ) as { version?: unknown };
  return typeof version === "string" ? version : "unknown";
}

async function main(): Promise<void> {
  const { config, roles, metricsPort, metricsHost, otel } = loadWorkerEnvironment();
  // Off unless the OTEL_* variables ask: then no OpenTelemetry module is loaded.
  const tracing = tracingRequested(otel)
    ? await startTracing({ serviceName: "veoq-worker", env: otel })
    : undefined;
  const apiKey = requireApiKey(config);
  const logger = createLogger({
    name: "worker",
    level: config.logLevel,
    secrets: secretValues(config),
  });
  try {
    await runWorkerProcess({
      config,
      apiKey,
      roles,
      version: appVersion(),
      logger,
      ...(metricsPort === undefined ? {} : { metrics: { host: metricsHost, port: metricsPort } }),
      ...(tracing === undefined ? {} : { tracing }),
    });
  } finally {
    await tracing?.shutdown();
  }
  // Stopped by a signal: exit now. A drain that ran out of VEOQ_DRAIN_SECONDS abandoned jobs
  // whose requests and BullMQ lock renewals would keep the event loop alive for ever.
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`veoq worker: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
