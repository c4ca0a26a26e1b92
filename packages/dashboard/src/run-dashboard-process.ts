import { secretValues, type VeoqConfig } from "@veoq/config";
import { createLogger } from "@veoq/logging";
import { shutdownOnSignal } from "@veoq/pipeline";
import type { DashboardAppOptions } from "./create-dashboard-app.ts";
import { startDashboard } from "./start-dashboard.ts";

/**
 * A dashboard process (`veoq dashboard` and apps/dashboard): a logger that redacts every
 * credential of the configuration (secretValues), the server, its URL on stdout, and a graceful stop on
 * SIGINT/SIGTERM. Resolves once stopped; throws DashboardStartError for an unsafe binding.
 */
export async function runDashboardProcess(
  config: VeoqConfig,
  listen: { host?: string | undefined; port?: number | undefined } = {},
  /** A server span per request, when tracing is on (packages/tracing). */
  requestSpan?: DashboardAppOptions["requestSpan"],
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
    ...(requestSpan === undefined ? {} : { app: { requestSpan } }),
  });
  process.stdout.write(`dashboard  ${running.url}  (Bull Board: ${running.url}/queues)\n`);
  await shutdownOnSignal(() => running.close(), logger);
}
