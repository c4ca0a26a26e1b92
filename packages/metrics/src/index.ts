export type { Registry } from "prom-client";
export {
  type CheckReadinessOptions,
  checkReadiness,
  type Readiness,
  readinessText,
} from "./check-readiness.ts";
export {
  checkWithPromtool,
  PROMTOOL_PATHS,
  type PromtoolVerdict,
  promtoolPath,
} from "./check-with-promtool.ts";
export { registerDeploymentMetrics } from "./deployment-metrics.ts";
export { countDueDelayed, type DueJobCounts, dueJobsOf, readDueJobs } from "./due-jobs.ts";
export {
  endpointLabel,
  errorKindLabel,
  modelLabel,
  OTHER_LABEL,
  statusLabel,
} from "./metric-labels.ts";
export {
  createMetricsRegistry,
  DROPPED_DEFAULT_METRICS,
  type MetricsRegistryOptions,
} from "./metrics-registry.ts";
export {
  type MetricsServer,
  type MetricsServerOptions,
  startMetricsServer,
} from "./metrics-server.ts";
export { type PrometheusSample, parsePrometheusText } from "./parse-prometheus-text.ts";
export {
  createPrometheusObserver,
  POLLS_PER_TASK_BUCKETS,
  REQUEST_SECONDS_BUCKETS,
} from "./prometheus-observer.ts";
export { registerProviderSlotMetrics } from "./provider-slot-metrics.ts";
export {
  QUEUE_STATES,
  type QueueDepthMetricsOptions,
  registerQueueDepthMetrics,
} from "./queue-depth-metrics.ts";
export { registerSpendMetrics } from "./spend-metrics.ts";
export { registerWebhookDeliveryMetrics } from "./webhook-delivery-metrics.ts";
export { TimeoutError, withTimeout } from "./with-timeout.ts";
export {
  type Liveness,
  livenessText,
  type TickingWorker,
  WorkerLiveness,
  type WorkerLivenessOptions,
} from "./worker-liveness.ts";
export { registerWorkerMetrics } from "./worker-metrics.ts";
export {
  parsePort,
  parseWorkerRoles,
  runWorkerProcess,
  WORKER_ROLES_RULE,
  type WorkerProcessOptions,
} from "./worker-process.ts";
