// Loaded only by start-tracing.ts once tracing is on; the API comes in as a parameter.
import diagnostics from "node:diagnostics_channel";
import type * as OtelApi from "@opentelemetry/api";
import type { Span } from "@opentelemetry/api";

/**
 * The part of ioredis' `CommandTraceContext` (ioredis ≥ 5.11, channel `ioredis:command`) that
 * a span takes. Its `args` (sanitized by ioredis, but still keys and some values) are never read.
 */
interface RedisCommandMessage {
  command: string;
  database?: number;
  serverAddress?: string;
  serverPort?: number;
  error?: unknown;
}

/**
 * Redis commands as client spans, only under a span of veoq (a stage, a request, a command).
 * ioredis publishes each command on the `ioredis:command` tracing channel of
 * node:diagnostics_channel (a process-wide name, so it works in esbuild bundles, where a
 * require-hook instrumentation could not patch the inlined ioredis); with no subscriber it
 * skips the channel entirely, so tracing off costs nothing. The span carries the command's name,
 * database and server: never its arguments (keys, values, passwords) nor a reply's error text
 * (only the error's class). Returns the unsubscribe.
 */
export function traceRedisCommands(api: typeof OtelApi): () => void {
  const { context, SpanKind, SpanStatusCode, trace } = api;
  const tracer = trace.getTracer("veoq");
  const spans = new WeakMap<object, Span>();
  const channel = diagnostics.tracingChannel<string, RedisCommandMessage>("ioredis:command");
  const handlers: diagnostics.TracingChannelSubscribers<RedisCommandMessage> = {
    start(message) {
      const parent = context.active();
      if (trace.getSpan(parent) === undefined) return;
      const operation = message.command.toUpperCase();
      spans.set(
        message,
        tracer.startSpan(
          operation,
          {
            kind: SpanKind.CLIENT,
            attributes: {
              "db.system": "redis",
              "db.system.name": "redis",
              "db.operation": operation,
              "db.operation.name": operation,
              ...(message.database === undefined
                ? {}
                : { "db.namespace": String(message.database) }),
              ...(message.serverAddress === undefined
                ? {}
                : { "server.address": message.serverAddress }),
              ...(message.serverPort === undefined ? {} : { "server.port": message.serverPort }),
            },
          },
          parent,
        ),
      );
    },
    end() {},
    asyncStart() {},
    error(message) {
      const span = spans.get(message);
      if (span === undefined) return;
      const type = message.error instanceof Error ? message.error.name : "Error";
      span.setAttribute("error.type", type);
      span.setStatus({ code: SpanStatusCode.ERROR });
    },
    asyncEnd(message) {
      spans.get(message)?.end();
      spans.delete(message);
    },
  };
  channel.subscribe(handlers);
  return () => channel.unsubscribe(handlers);
}
