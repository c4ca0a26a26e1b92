import { DashboardStartError, runDashboardProcess } from "@veoq/dashboard";
import type { Command } from "commander";
import { withCommandTracing } from "../command-tracing.ts";
import { loadConfig } from "../env.ts";
import { naming } from "../listen-error.ts";
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
        try {
          const config = loadConfig();
          await withCommandTracing("veoq-dashboard", undefined, (tracing) =>
            naming("the dashboard", "--port", () =>
              runDashboardProcess(
                config,
                flags,
                tracing === undefined
                  ? undefined
                  : { requestSpan: tracing.httpSpans, telemetry: tracing.telemetry },
              ),
            ),
          );
        } catch (error) {
          if (error instanceof DashboardStartError) throw new UsageError(error.message);
          throw error;
        }
        return 0;
      }),
    );
}
