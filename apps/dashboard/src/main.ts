import { runDashboardProcess } from "@veoq/dashboard";
import { startTracing, tracingRequested } from "@veoq/tracing";
import { loadConfig, otelEnvironment } from "./env.ts";

/** Standalone dashboard process: the same as `veoq dashboard`, configured by the environment only. */
async function main(): Promise<void> {
  const config = loadConfig();
  const otel = otelEnvironment();
  // Off unless the OTEL_* variables ask: then no OpenTelemetry module is loaded.
  const tracing = tracingRequested(otel)
    ? await startTracing({ serviceName: "veoq-dashboard", env: otel })
    : undefined;
  try {
    await runDashboardProcess(
      config,
      {},
      tracing === undefined
        ? undefined
        : { requestSpan: tracing.httpSpans, telemetry: tracing.telemetry },
    );
  } finally {
    await tracing?.shutdown();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `veoq dashboard: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exitCode = 1;
});
