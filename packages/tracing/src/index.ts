// No OpenTelemetry module is imported from here: start-tracing.ts loads them on demand.
export type { HttpSpanMiddleware } from "./otel-http-spans.ts";
export { type StartTracingOptions, startTracing, type Tracing } from "./start-tracing.ts";
export { type OtlpProtocol, otlpProtocolOf, tracingRequested } from "./tracing-request.ts";
