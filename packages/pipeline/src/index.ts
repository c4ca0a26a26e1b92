export type { Redis } from "ioredis";
export {
  BatchControl,
  type BatchControlState,
  PAUSE_REASONS,
  type PauseReason,
} from "./batch-control.ts";
export {
  type CancelSummary,
  cancelBatch,
  type LifecycleContext,
  pauseBatch,
  resumeBatch,
  setBatchBudget,
  UnknownBatchError,
} from "./batch-lifecycle.ts";
export { type BatchOverview, overviewOf } from "./batch-overview.ts";
export { batchResults, type ResultLine } from "./batch-results.ts";
export { type BatchRecord, BatchStore } from "./batch-store.ts";
export { credentialsStopReason, resumeSubmissions } from "./credentials-stop.ts";
export {
  DurationHistory,
  type DurationHistoryOptions,
  durationHistoryKey,
  finishedTaskSeconds,
  type TaskShape,
} from "./duration-history.ts";
export {
  defaultBatchId,
  EnqueueError,
  type EnqueueManifestOptions,
  type EnqueueProgress,
  type EnqueueSummary,
  enqueueManifest,
} from "./enqueue-manifest.ts";
export { decideSubmitFailure, reasonLooksTransient } from "./failure-policy.ts";
export type { ItemErrorKind, ItemResult } from "./item-result.ts";
export { ITEM_STATES, type ItemState, isFinalState } from "./item-state.ts";
export * from "./job-data.ts";
export { downloadJobId, isValidBatchId, pollJobId, submitJobId } from "./job-ids.ts";
export { OutputPathError, outputFilePath } from "./output-paths.ts";
export type { PipelineContext, PipelineHooks, PipelineSettings } from "./pipeline-context.ts";
export type { PipelineObserver } from "./pipeline-observer.ts";
export {
  DEFAULT_POLL_POLICY,
  type DurationProfile,
  durationProfileOf,
  gridStartSeconds,
  initialPollDelaySeconds,
  nextPollDelaySeconds,
  type PollPolicySettings,
  PROFILE_LOW_QUANTILE,
  pollErrorDelaySeconds,
} from "./poll-policy.ts";
export { expiryPriority } from "./poll-processor.ts";
export {
  ProviderSlots,
  readProviderSlots,
  type SlotUsage,
  slotKeys,
} from "./provider-slots.ts";
export { QUEUE_NAMES, QUEUE_ROLES, type QueueRole } from "./queue-names.ts";
export { createQueues, type VeoqQueues } from "./queues.ts";
export { createRedisConnection, describeRedisUrl } from "./redis-connection.ts";
export { checkRedisDurability } from "./redis-durability.ts";
export { retryDelayMs } from "./retry-delay.ts";
export { type RetrySummary, retryFailedItems } from "./retry-failed.ts";
export { shutdownOnSignal } from "./shutdown-on-signal.ts";
export { reconcileProviderSlots, slotHolder } from "./slot-reconciler.ts";
export { type BatchSpend, type GateDecision, SpendLedger, utcDay } from "./spend-ledger.ts";
export {
  pipelineSettingsFrom,
  type RunningWorkers,
  type StartWorkersOptions,
  startWorkers,
} from "./start-workers.ts";
