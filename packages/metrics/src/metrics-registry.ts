import { collectDefaultMetrics, Registry } from "prom-client";

export interface MetricsRegistryOptions {
  /** Also export prom-client's process metrics (CPU, memory, event loop lag). Default true. */
  processMetrics?: boolean;
}

/**
 * prom-client's default gauges that end in `_total`, which Prometheus reserves for counters
 * (`promtool check metrics` refuses them). Each is the sum over `type` of the gauge without the
 * suffix that stays exported: `sum(nodejs_active_handles)` gives the same number.
 */
export const DROPPED_DEFAULT_METRICS = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
] as const;

/**
 * A fresh registry per process (never prom-client's global one), so tests and several
 * components in one process do not share counters by accident.
 */
export function createMetricsRegistry(options: MetricsRegistryOptions = {}): Registry {
  const registry = new Registry();
  if (options.processMetrics ?? true) {
    collectDefaultMetrics({ register: registry });
    for (const name of DROPPED_DEFAULT_METRICS) registry.removeSingleMetric(name);
  }
  return registry;
}
