/** The OTLP/HTTP encodings veoq exports traces in (OTEL_EXPORTER_OTLP_PROTOCOL). */
export type OtlpProtocol = "http/protobuf" | "http/json";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Whether the standard variables ask for traces: OTEL_TRACES_EXPORTER=otlp, or an OTLP endpoint
 * (OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) without
 * OTEL_TRACES_EXPORTER=none; never with OTEL_SDK_DISABLED=true. Off by default: then no
 * OpenTelemetry module is loaded at all.
 */
export function tracingRequested(env: Env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return false;
  const exporter = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase();
  if (exporter !== undefined && exporter !== "") return exporter !== "none";
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL, else the specification's
 * default http/protobuf. `grpc` is not offered (no gRPC stack is shipped): it falls back to
 * http/protobuf, which every collector also accepts (port 4318).
 */
export function otlpProtocolOf(env: Env): OtlpProtocol {
  const value = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL)?.trim();
  return value === "http/json" ? "http/json" : "http/protobuf";
}
