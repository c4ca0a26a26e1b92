import { DashboardStartError, startDashboard } from "@veoq/dashboard";
import { createLogger } from "@veoq/logging";
import { shutdownOnSignal } from "@veoq/pipeline";
import type { Command } from "commander";
import { loadConfig } from "../env.ts";
import { runAction, UsageError } from "../run-action.ts";
import { parsePort } from "./worker.ts";

interface DashboardFlags {
  host?: string;
  port?: number;
}

export function registerDashboardCommand(program: Command): void {
  program
    .command("dashboard")
    .description(
      "serve Bull Board, the batch overview, /metrics, /healthz and /readyz until SIGINT/SIGTERM",
    )
    .option("--host <host>", "interface to listen on (default: DASHBOARD_HOST, 127.0.0.1)")
    .option("--port <port>", "port to listen on (default: DASHBOARD_PORT, 3000)", parsePort)
    .action(
      runAction(async (flags: DashboardFlags) => {
        const config = loadConfig();
        const secrets = [config.apiKey, config.dashboardPassword].filter(
          (s): s is string => s !== undefined,
        );
        const logger = createLogger({ name: "dashboard", level: config.logLevel, secrets });
        let running: Awaited<ReturnType<typeof startDashboard>>;
        try {
          running = await startDashboard({
            config,
            logger,
            ...(flags.host === undefined ? {} : { host: flags.host }),
            ...(flags.port === undefined ? {} : { port: flags.port }),
          });
        } catch (error) {
          if (error instanceof DashboardStartError) throw new UsageError(error.message);
          throw error;
        }
        process.stdout.write(`dashboard  ${running.url}  (Bull Board: ${running.url}/queues)\n`);
        await shutdownOnSignal(() => running.close(), logger);
        return 0;
      }),
    );
}
