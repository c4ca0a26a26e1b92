export { type BatchJson, batchJson, remainingSeconds, toBatchJson } from "./batch-json.ts";
export {
  type BudgetJson,
  budgetJson,
  type CancelJson,
  cancelJson,
  type DeleteJson,
  deleteJson,
  type PauseJson,
  type PriorityJson,
  pauseJson,
  priorityJson,
  type ResumeJson,
  resumeJson,
  type StatusJson,
  statusJson,
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
export {
  type ItemDetailJson,
  type ItemJson,
  type ItemPageJson,
  itemDetailJson,
  itemJson,
  itemPageJson,
  type JobLinkJson,
  jobLinkJson,
  type SearchJson,
  searchJson,
} from "./item-json.ts";
export { RESULT_STATES, type ResultJson, resultJson, toResultJson } from "./result-json.ts";
export {
  type RetryJson,
  type RetryPlanJson,
  retryJson,
  retryPlanJson,
  toRetryJson,
  toRetryNotRunJson,
  toRetryPlanJson,
} from "./retry-json.ts";
export {
  toWorkersJson,
  type WorkerJson,
  type WorkersJson,
  workerJson,
  workersJson,
} from "./workers-json.ts";
