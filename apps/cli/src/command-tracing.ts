import { startTracing, type Tracing, tracingRequested } from "@veoq/tracing";
import { otelEnvironment } from "./env.ts";

/**
 * Runs a command with OpenTelemetry traces when the OTEL_* variables ask for them (then inside a
 * span named `spanName`, flushed before it returns); otherwise as it is, loading no OTel module.
 */
export async function withCommandTracing<T>(
  serviceName: string,
  spanName: string | undefined,
  work: (tracing: Tracing | undefined) => Promise<T>,
): Promise<T> {
  const env = otelEnvironment();
  if (!tracingRequested(env)) return work(undefined);
  const tracing = await startTracing({ serviceName, env });
  try {
    return spanName === undefined
      ? await work(tracing)
      : await tracing.inSpan(spanName, {}, () => work(tracing));
  } finally {
    await tracing.shutdown();
  }
}
