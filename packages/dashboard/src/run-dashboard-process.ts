import { secretValues, type VeoqConfig } from "@veoq/config";
import { createLogger } from "@veoq/logging";
import { shutdownOnSignal } from "@veoq/pipeline";
import type { DashboardAppOptions } from "./create-dashboard-app.ts";
import { type StartDashboardOptions, startDashboard } from "./start-dashboard.ts";

/** Traces of a dashboard process (packages/tracing, when the OTEL_* variables ask for them). */
export interface DashboardTracing {
  /** A server span per request (Tracing's httpSpans). */
  requestSpan: NonNullable<DashboardAppOptions["requestSpan"]>;
  /** BullMQ's own spans on the dashboard's queues (Tracing's telemetry). */
  telemetry: NonNullable<StartDashboardOptions["telemetry"]>;
}

/**
 * A dashboard process (`veoq dashboard` and apps/dashboard): a logger that redacts every
 * credential of the configuration (secretValues), the server, its URL on stdout, and a graceful stop on
 * SIGINT/SIGTERM. Resolves once stopped; throws DashboardStartError for an unsafe binding.
 */
export async function runDashboardProcess(
  config: VeoqConfig,
  listen: { host?: string | undefined; port?: number | undefined } = {},
  /** Request spans and BullMQ's spans, when tracing is on (packages/tracing). */
  tracing?: DashboardTracing,
): Promise<void> {
  const logger = createLogger({
    name: "dashboard",
    level: config.logLevel,
    secrets: secretValues(config),
  });
  const running = await startDashboard({
    config,
    logger,
    ...(listen.host === undefined ? {} : { host: listen.host }),
    ...(listen.port === undefined ? {} : { port: listen.port }),
    ...(tracing === undefined
      ? {}
      : { app: { requestSpan: tracing.requestSpan }, telemetry: tracing.telemetry }),
  });
  process.stdout.write(`dashboard  ${running.url}  (Bull Board: ${running.url}/queues)\n`);
  await shutdownOnSignal(() => running.close(), logger);
}
