export type { Redis } from "ioredis";
export {
  credentialsStopReason,
  credentialsStopTimes,
  downloadsStopReason,
  resumeDownloads,
  resumeSubmissions,
  stopSubmissions,
} from "./jobs/credentials-stop.ts";
export * from "./jobs/job-data.ts";
export { expiryPriority } from "./jobs/job-data.ts";
export {
  createQueues,
  KEEP_COMPLETED,
  KEEP_COMPLETED_SUBMIT,
  KEEP_FAILED,
  type VeoqQueues,
} from "./jobs/queues.ts";
export { reconcileEveryAccount, reconcileProviderSlots } from "./jobs/slot-reconciler.ts";
export { reconcileSpendReservations } from "./jobs/spend-reconciler.ts";
export { startStalledCheck } from "./jobs/stalled-check.ts";
export { type KeyFigures, readKeyFigures } from "./keys/key-figures.ts";
export {
  accountOfKey,
  type KeyTake,
  keyStopKey,
  keyStopPattern,
  type ProviderKey,
  ProviderKeys,
  type ProviderKeysOptions,
  readKeyStops,
  resumeEveryKey,
  resumeKey,
} from "./keys/provider-keys.ts";
export {
  type BudgetChange,
  type CancelledRetry,
  CancelledRetryChangedError,
  type CancelledRetryPlan,
  type CancelSummary,
  cancelBatch,
  type LifecycleContext,
  pauseBatch,
  planCancelledRetry,
  resumeBatch,
  retryCancelledItems,
  setBatchBudget,
  UnknownBatchError,
} from "./operations/batch-lifecycle.ts";
export {
  type BatchOverview,
  overviewOf,
  pausedMsUntil,
  type StopTime,
  stoppedMsWithin,
} from "./operations/batch-overview.ts";
export {
  batchResults,
  RESULT_ORDERS,
  type ResultLine,
  type ResultOrder,
} from "./operations/batch-results.ts";
export { expireFinishedBatches } from "./operations/batch-retention.ts";
export { type BatchScheduling, batchSchedulingOf } from "./operations/batch-scheduling.ts";
export { BATCH_STATES, type BatchState, batchStateOf } from "./operations/batch-state.ts";
export { changeBatchPriority, type PriorityChange } from "./operations/change-priority.ts";
export {
  BatchBusyError,
  BatchInFlightError,
  type DeleteBatchContext,
  type DeleteBatchSummary,
  deleteBatch,
} from "./operations/delete-batch.ts";
export {
  defaultBatchId,
  EnqueueError,
  type EnqueueManifestOptions,
  type EnqueueProgress,
  type EnqueueSummary,
  enqueueManifest,
} from "./operations/enqueue-manifest.ts";
export {
  priceRetry,
  priceSubmissions,
  type RetryPrice,
  retryReachesBudget,
} from "./operations/price-retry.ts";
export {
  failureWillRepeat,
  type PlannedRetry,
  type PlanRetryOptions,
  planRetry,
  planRetryOf,
  type RetryAction,
  RetryDeadlineError,
  type RetryFailedOptions,
  type RetryPlan,
  RetryPlanChangedError,
  type RetrySkip,
  type RetrySummary,
  retryActionOf,
  retryFailedItems,
  type SkippedRetry,
} from "./operations/retry-failed.ts";
export {
  WAITING_CODES,
  type WaitingCode,
  type WaitingInputs,
  type WaitingReason,
  waitingReasonOf,
} from "./operations/waiting-reason.ts";
export { readWorkCapacity, type WorkCapacity } from "./operations/work-capacity.ts";
export {
  decideSubmitFailure,
  reasonLooksPermanent,
  reasonLooksTransient,
  retryDelayMs,
} from "./policy/failure-policy.ts";
export { OutputPathError, outputFilePath } from "./policy/output-paths.ts";
export { PIPELINE_DEFAULTS } from "./policy/pipeline-defaults.ts";
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
} from "./policy/poll-policy.ts";
export { shutdownOnSignal } from "./shutdown-on-signal.ts";
export type {
  PipelineContext,
  PipelineHooks,
  PipelineSettings,
} from "./stages/pipeline-context.ts";
export type { PipelineObserver } from "./stages/pipeline-observer.ts";
export {
  type ItemSpanFields,
  type ItemTracer,
  type ItemTraceStart,
  isStageMove,
  NO_TRACING,
} from "./stages/pipeline-observer.ts";
export {
  pipelineSettingsFrom,
  type RunningWorkers,
  type StartWorkersOptions,
  startWorkers,
} from "./start-workers.ts";
export {
  BatchControl,
  type BatchControlState,
  ControlDeadlineError,
  PAUSE_REASONS,
  type PauseReason,
  redisServerDeadline,
} from "./store/batch-control.ts";
export {
  type BatchRecord,
  BatchStore,
  type KeyWait,
  openStore,
  type StoreConfig,
} from "./store/batch-store.ts";
export {
  BatchTimeline,
  parseTimeline,
  TIMELINE_BUCKET_MS,
  type TimelinePoint,
} from "./store/batch-timeline.ts";
export { type EnqueueIncomplete, EnqueueMark } from "./store/batches.ts";
export { isRedisOutOfMemory, REDIS_OUT_OF_MEMORY } from "./store/connection/out-of-memory.ts";
export {
  createRedisConnection,
  describeRedisUrl,
  eachMaster,
  PRODUCER_COMMAND_TIMEOUT_MS,
  type RedisConnection,
  scanEveryMaster,
} from "./store/connection/redis-connection.ts";
export {
  checkRedisDurability,
  checkRedisSetup,
  checkRedisSetupUnlessDown,
  RedisSetupError,
  redisSetupProblem,
  type UnreplicatedMaster,
  waitForReplicas,
} from "./store/connection/redis-server-check.ts";
export {
  DurationHistory,
  type DurationHistoryOptions,
  finishedTaskSeconds,
  type TaskShape,
} from "./store/duration-history.ts";
export {
  FairShare,
  fairPriority,
  isPriorityLevel,
  LEVEL_OFFSET,
  MAX_JOB_PRIORITY,
  PRIORITY_LEVELS,
  type PriorityLevel,
} from "./store/fair-share.ts";
export type { ItemErrorKind, ItemResult, ItemStage } from "./store/item-states.ts";
export { ITEM_STATES, type ItemState, isFinalState } from "./store/item-states.ts";
export {
  barePrefix,
  downloadJobId,
  durationHistoryKey,
  isValidBatchId,
  pollJobId,
  QUEUE_NAMES,
  QUEUE_ROLES,
  type QueueRole,
  type RecordKeys,
  recordKeys,
  slotHolder,
  submitJobId,
} from "./store/keys.ts";
export {
  PROBE_ROUNDS,
  ProviderRate,
  ProviderSlots,
  providerAccounts,
  RATE_MARGIN,
  readProviderSlots,
  type SlotUsage,
  slotKeys,
} from "./store/provider-slots.ts";
export {
  answeredCreateKind,
  type BatchSpend,
  type CreateKind,
  type GateDecision,
  RESUBMIT_REASONS,
  type ResubmitReason,
  SpendLedger,
  type SpentShare,
  type SpentSplit,
  utcDay,
} from "./store/spend-ledger.ts";
export {
  type StoreScriptName,
  storeScriptNames,
  storeScriptSource,
} from "./store/store-scripts.ts";
export { SLOT_WAIT_MARKER, submitQueueWakeKeys } from "./store/submit-queue-wake.ts";
export {
  ACCOUNT_OUTBOX_MESSAGE,
  BATCH_WEBHOOK_FIELDS,
  type BatchWebhook,
  batchWebhookSchema,
  DEFAULT_WEBHOOK_EVENTS,
  EVERY_OPEN_BATCH,
  ITEM_WEBHOOK_EVENTS,
  markOutboxPending,
  type OutboxEntry,
  outboxEntrySchema,
  WEBHOOK_EVENT_TYPES,
  type WebhookEventType,
  WebhookOutbox,
} from "./store/webhook-outbox.ts";
export {
  type HeartbeatOptions,
  liveKeysOf,
  liveRolesOf,
  type WorkerHeartbeat,
  type WorkerIdentity,
  type WorkerRecord,
  WorkerRegistry,
  workerRecordSchema,
} from "./store/worker-registry.ts";
