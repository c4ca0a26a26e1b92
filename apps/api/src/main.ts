import { runApiProcess } from "@veoq/api";
import { startTracing, tracingRequested } from "@veoq/tracing";
import { loadConfig, otelEnvironment } from "./env.ts";

/** Standalone API process (containers): the same as `veoq api`, configured by the environment only. */
async function main(): Promise<void> {
  const config = loadConfig();
  const otel = otelEnvironment();
  // Off unless the OTEL_* variables ask: then no OpenTelemetry module is loaded.
  const tracing = tracingRequested(otel)
    ? await startTracing({ serviceName: "veoq-api", env: otel })
    : undefined;
  try {
    await runApiProcess(
      config,
      {},
      tracing === undefined
        ? undefined
        : {
            requestSpan: tracing.httpSpans,
            itemTracer: tracing.requestItemTracer,
            telemetry: tracing.telemetry,
          },
    );
  } finally {
    await tracing?.shutdown();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`veoq api: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
