import { ApiStartError, runApiProcess } from "@veoq/api";
import type { Command } from "commander";
import { withCommandTracing } from "../command-tracing.ts";
import { loadConfig } from "../env.ts";
import { naming } from "../listen-error.ts";
import { runAction, UsageError } from "../run-action.ts";
import { parsePort } from "./worker.ts";

interface ApiFlags {
  host?: string;
  port?: number;
}

export function registerApiCommand(program: Command): void {
  program
    .command("api")
    .description(
      "serve the HTTP producer API (/v1: create, follow, control and collect batches; /openapi.json) until SIGINT/SIGTERM",
    )
    .option("--host <host>", "interface to listen on (default: VEOQ_API_HOST, 127.0.0.1)")
    .option("--port <port>", "port to listen on (default: VEOQ_API_PORT, 3001)", parsePort)
    .action(
      runAction(async (flags: ApiFlags) => {
        try {
          const config = loadConfig();
          await withCommandTracing("veoq-api", undefined, (tracing) =>
            naming("the API", "--port", () =>
              runApiProcess(
                config,
                flags,
                tracing === undefined
                  ? undefined
                  : {
                      requestSpan: tracing.httpSpans,
                      itemTracer: tracing.requestItemTracer,
                      telemetry: tracing.telemetry,
                    },
              ),
            ),
          );
        } catch (error) {
          if (error instanceof ApiStartError) throw new UsageError(error.message);
          throw error;
        }
        return 0;
      }),
    );
}
