/**
 * Where log lines get `trace_id` / `span_id`: packages/tracing sets a source when tracing is on
 * (reading the active span); until then none, and createLogger's mixin adds nothing.
 */
type TraceFieldsSource = () => { trace_id: string; span_id: string } | undefined;

let source: TraceFieldsSource | undefined;

export function setTraceFieldsSource(next: TraceFieldsSource | undefined): void {
  source = next;
}

/** The active span's ids for a log line, or an empty object. */
export function traceFields(): Record<string, string> {
  return source?.() ?? {};
}
