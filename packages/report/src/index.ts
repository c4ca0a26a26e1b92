export { type BatchJson, batchJson, remainingSeconds, toBatchJson } from "./batch-json.ts";
export {
  type ResumeJson,
  type RetryJson,
  resumeJson,
  retryJson,
  type StatusJson,
  statusJson,
  toRetryJson,
  type WorkerStartedJson,
  workerStartedJson,
} from "./command-json.ts";
export { countOf } from "./count-text.ts";
export {
  type BatchViewJson,
  batchViewJson,
  type FailedItemJson,
  failedItemJson,
  type OverviewJson,
  overviewJson,
  type StuckItemJson,
  stuckItemJson,
} from "./dashboard-json.ts";
export { formatDuration, formatThroughput } from "./duration-text.ts";
export { RESULT_STATES, type ResultJson, resultJson, toResultJson } from "./result-json.ts";
