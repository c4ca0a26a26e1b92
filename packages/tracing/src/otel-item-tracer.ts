// Loaded only by start-tracing.ts once tracing is on. The API comes in as a parameter (imported
// there on demand), so that bundling this module (the CLI's esbuild) hoists no OTel import.
import type * as OtelApi from "@opentelemetry/api";
import type { Attributes, Link } from "@opentelemetry/api";
import { type ItemSpanFields, type ItemTracer, isStageMove } from "@veoq/pipeline";

export type { OtelApi };

/** The attributes that name an item in every span of its trace. */
export function itemAttributes(item: ItemSpanFields): Attributes {
  return {
    "veoq.batch_id": item.batchId,
    "veoq.custom_id": item.customId,
    ...(item.model === undefined ? {} : { "veoq.model": item.model }),
    ...(item.taskId === undefined ? {} : { "veoq.task_id": item.taskId }),
  };
}

/**
 * Where an item's `veoq.item.enqueue` span (`veoq.item.retry` for a re-queued item) goes. `own-trace`: a new trace per item, linked to
 * the span active at enqueue (the CLI's `veoq.enqueue` or `veoq.retry`: a batch of 100,000 lines is not one
 * trace). `active-trace`: a child of the active span, in its trace (an API request's server
 * span, which continues the caller's `traceparent`: the caller follows its items in its trace).
 */
export type ItemTraceRoot = "own-trace" | "active-trace";

/**
 * ItemTracer on OpenTelemetry. `startItem` opens the item's span (see ItemTraceRoot) and returns
 * its traceparent; `inStage` makes each stage run a child of it, whatever process runs it,
 * linked to BullMQ's own `process` span when bullmq-otel made one; provider requests are client
 * spans under the stage (endpoint slug and status only: no URL, no key).
 */
export function createOtelItemTracer(
  api: typeof OtelApi,
  root: ItemTraceRoot = "own-trace",
): ItemTracer {
  const { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } = api;
  const tracer = trace.getTracer("veoq");
  return {
    startItem(item, why = "enqueue") {
      const active = trace.getSpan(context.active());
      const joins = root === "active-trace" && active !== undefined;
      const links: Link[] = active && !joins ? [{ context: active.spanContext() }] : [];
      const span = tracer.startSpan(`veoq.item.${why}`, {
        kind: SpanKind.PRODUCER,
        root: !joins,
        links,
        attributes: itemAttributes(item),
      });
      const carrier: Record<string, string> = {};
      propagation.inject(trace.setSpan(ROOT_CONTEXT, span), carrier);
      span.end();
      return carrier.traceparent;
    },
    async inStage(stage, item, run) {
      const active = trace.getSpan(context.active());
      const parent =
        item.traceparent === undefined
          ? context.active()
          : propagation.extract(ROOT_CONTEXT, { traceparent: item.traceparent });
      const links: Link[] =
        active && item.traceparent !== undefined ? [{ context: active.spanContext() }] : [];
      return tracer.startActiveSpan(
        `veoq.${stage}`,
        { kind: SpanKind.CONSUMER, links, attributes: itemAttributes(item) },
        parent,
        async (span) => {
          try {
            return await run();
          } catch (error) {
            if (isStageMove(error)) {
              span.setAttribute("veoq.moved", (error as Error).name);
            } else {
              span.recordException(error as Error);
              span.setStatus({
                code: SpanStatusCode.ERROR,
                message: error instanceof Error ? error.message : String(error),
              });
            }
            throw error;
          } finally {
            span.end();
          }
        },
      );
    },
    providerRequest(event) {
      const end = Date.now();
      const span = tracer.startSpan(
        `provider ${event.operation}`,
        {
          kind: SpanKind.CLIENT,
          startTime: end - Math.max(0, event.durationMs),
          attributes: {
            "veoq.provider.endpoint": event.endpoint,
            ...(event.status === undefined ? {} : { "http.response.status_code": event.status }),
            ...(event.errorKind === undefined
              ? {}
              : { "veoq.provider.error_kind": event.errorKind }),
          },
        },
        context.active(),
      );
      if (event.errorKind !== undefined) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end(end);
    },
  };
}

/** trace_id / span_id of the active span, for pino lines (@veoq/logging's mixin). */
export function activeTraceFields(
  api: typeof OtelApi,
): () => { trace_id: string; span_id: string } | undefined {
  return () => {
    const span = api.trace.getSpan(api.context.active());
    if (span === undefined) return undefined;
    const { traceId, spanId } = span.spanContext();
    return { trace_id: traceId, span_id: spanId };
  };
}

/** Runs `work` inside a span (e.g. the CLI's `veoq.enqueue`), ending it however it ends. */
export function spanRunner(api: typeof OtelApi) {
  const tracer = api.trace.getTracer("veoq");
  return <T>(name: string, attributes: Attributes, work: () => Promise<T>): Promise<T> =>
    tracer.startActiveSpan(name, { attributes }, async (span) => {
      try {
        return await work();
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: api.SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    });
}
