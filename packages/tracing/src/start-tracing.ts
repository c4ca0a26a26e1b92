import type { Attributes } from "@opentelemetry/api";
import type { SpanExporter } from "@opentelemetry/sdk-trace-base";
import { setTraceFieldsSource } from "@veoq/logging";
import type { ItemTracer, StartWorkersOptions } from "@veoq/pipeline";
import type { HttpSpanMiddleware } from "./otel-http-spans.ts";
import { otlpProtocolOf } from "./tracing-request.ts";

/** BullMQ's Telemetry, as startWorkers and createQueues take it. */
type Telemetry = NonNullable<StartWorkersOptions["telemetry"]>;

type Env = Readonly<Record<string, string | undefined>>;

export interface StartTracingOptions {
  /** service.name unless OTEL_SERVICE_NAME says otherwise, e.g. "veoq-worker". */
  serviceName: string;
  /** The process environment (OTEL_* variables); the SDK reads the sampler and OTLP ones too. */
  env: Env;
  /** Tests: export here (an in-memory exporter), span by span, instead of OTLP in batches. */
  exporter?: SpanExporter;
}

/** Tracing once on: what the pipeline, BullMQ and commands use, and how to flush it. */
export interface Tracing {
  /** Item traces: each item in a trace of its own, linked to the enqueue's span (the CLI's). */
  tracer: ItemTracer;
  /**
   * Item traces for an API process: an item enqueued by a request is a child of the request's
   * span, so its submit, polls and download are in the request's (the caller's) trace.
   */
  requestItemTracer: ItemTracer;
  /** bullmq-otel: BullMQ's own spans on every Queue and Worker. */
  telemetry: Telemetry;
  /** Runs `work` inside a span of this process (e.g. `veoq.enqueue`). */
  inSpan<T>(name: string, attributes: Attributes, work: () => Promise<T>): Promise<T>;
  /** A server span per HTTP request (the dashboard's and the API's). */
  httpSpans: HttpSpanMiddleware;
  /** Exports what is buffered and stops; call before the process exits. */
  shutdown(): Promise<void>;
}

/**
 * Starts OpenTelemetry in this process: a NodeTracerProvider (AsyncLocalStorage context, W3C
 * trace context propagation, the sampler from OTEL_TRACES_SAMPLER) exporting OTLP over HTTP in
 * the protocol OTEL_EXPORTER_OTLP_PROTOCOL names, to OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT.
 * Redis commands become spans under veoq's spans (ioredis' diagnostics channel, otel-redis-spans).
 * Every OTel module is imported here, on demand: a process that never calls this loads none.
 */
export async function startTracing(options: StartTracingOptions): Promise<Tracing> {
  const [api, node, base, resources, bullmqOtel, itemTracer, httpSpans, redisSpans] =
    await Promise.all([
      import("@opentelemetry/api"),
      import("@opentelemetry/sdk-trace-node"),
      import("@opentelemetry/sdk-trace-base"),
      import("@opentelemetry/resources"),
      import("bullmq-otel"),
      import("./otel-item-tracer.ts"),
      import("./otel-http-spans.ts"),
      import("./otel-redis-spans.ts"),
    ]);
  const exporter = options.exporter ?? (await otlpExporter(otlpProtocolOf(options.env)));
  const provider = new node.NodeTracerProvider({
    resource: resources.resourceFromAttributes({
      "service.name": options.env.OTEL_SERVICE_NAME?.trim() || options.serviceName,
    }),
    spanProcessors: [
      options.exporter === undefined
        ? new base.BatchSpanProcessor(exporter)
        : new base.SimpleSpanProcessor(exporter),
    ],
  });
  provider.register();
  setTraceFieldsSource(itemTracer.activeTraceFields(api));
  const stopRedisSpans = redisSpans.traceRedisCommands(api);
  return {
    tracer: itemTracer.createOtelItemTracer(api, "own-trace"),
    requestItemTracer: itemTracer.createOtelItemTracer(api, "active-trace"),
    telemetry: new bullmqOtel.BullMQOtel("veoq") as unknown as Telemetry,
    inSpan: itemTracer.spanRunner(api),
    httpSpans: httpSpans.httpServerSpans(api),
    async shutdown() {
      setTraceFieldsSource(undefined);
      stopRedisSpans();
      await provider.shutdown();
    },
  };
}

async function otlpExporter(protocol: "http/protobuf" | "http/json"): Promise<SpanExporter> {
  // Each reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT / _HEADERS itself (default localhost:4318).
  if (protocol === "http/json") {
    const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-http");
    return new OTLPTraceExporter();
  }
  const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-proto");
  return new OTLPTraceExporter();
}
