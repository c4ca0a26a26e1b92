// Loaded only by start-tracing.ts once tracing is on; the API comes in as a parameter.
import type * as OtelApi from "@opentelemetry/api";

/** The parts of an HTTP request and response the span needs (Express's or node:http's). */
export interface HttpSpanRequest {
  method?: string | undefined;
  url?: string | undefined;
  path?: string;
  headers: Record<string, string | string[] | undefined>;
  route?: { path?: unknown } | undefined;
}
export interface HttpSpanResponse {
  statusCode: number;
  once(event: "finish" | "close", listener: () => void): unknown;
}
export type HttpSpanMiddleware = (
  request: HttpSpanRequest,
  response: HttpSpanResponse,
  next: () => void,
) => void;

/**
 * A server span per request (the dashboard's pages, API and Bull Board), continuing a caller's
 * W3C trace context: method, path (no query string: it may carry search terms) and status.
 */
export function httpServerSpans(api: typeof OtelApi): HttpSpanMiddleware {
  const { context, propagation, SpanKind, SpanStatusCode, trace } = api;
  const tracer = trace.getTracer("veoq");
  return (request, response, next) => {
    const method = request.method ?? "GET";
    const path = request.path ?? new URL(request.url ?? "/", "http://x").pathname;
    const parent = propagation.extract(context.active(), request.headers);
    const span = tracer.startSpan(
      `${method} ${path}`,
      {
        kind: SpanKind.SERVER,
        attributes: { "http.request.method": method, "url.path": path },
      },
      parent,
    );
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      const route = request.route?.path;
      if (typeof route === "string") {
        span.setAttribute("http.route", route);
        span.updateName(`${method} ${route}`);
      }
      span.setAttribute("http.response.status_code", response.statusCode);
      if (response.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    };
    response.once("finish", end);
    response.once("close", end);
    context.with(trace.setSpan(parent, span), next);
  };
}
