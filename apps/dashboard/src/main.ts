import { startDashboard } from "@veoq/dashboard";
import { createLogger } from "@veoq/logging";
import { shutdownOnSignal } from "@veoq/pipeline";
import { loadConfig } from "./env.ts";

/** Standalone dashboard process: the same as `veoq dashboard`, configured by the environment only. */
async function main(): Promise<void> {
  const config = loadConfig();
  const secrets = [config.apiKey, config.dashboardPassword].filter(
    (s): s is string => s !== undefined,
  );
  const logger = createLogger({ name: "dashboard", level: config.logLevel, secrets });
  const running = await startDashboard({ config, logger });
  process.stdout.write(`dashboard  ${running.url}  (Bull Board: ${running.url}/queues)\n`);
  await shutdownOnSignal(() => running.close(), logger);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `veoq dashboard: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exitCode = 1;
});
