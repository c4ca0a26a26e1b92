export {
  FAILURE_REASONS,
  PERMANENT_FAILURE_REASONS,
  TRANSIENT_FAILURE_REASONS,
} from "./failure-reasons.ts";
export type { KeyLimit } from "./key-limits.ts";
export { parseKeySpecs } from "./key-spec.ts";
export {
  DEFAULT_FAULT_OPTIONS,
  DEFAULT_SIMULATOR_OPTIONS,
  type DurationRange,
  type FaultOptions,
  type FaultOverrides,
  type LatencyRange,
  type RateLimitOptions,
  type SimulatorOptions,
  type SimulatorOverrides,
} from "./options.ts";
export { type PromptMarkers, readPromptMarkers } from "./prompt-markers.ts";
export { simulatedFileBytes } from "./simulated-file-bytes.ts";
export type { SimulatedFile, SimulatedTask } from "./simulated-task.ts";
export type { KeyStats, SimulatorStats } from "./simulator-stats.ts";
export { type Simulator, startSimulator } from "./start-simulator.ts";
export {
  detectionLagSecondsOf,
  finishedAtMsOf,
  type TaskPhase,
  type TaskStatus,
  type TaskTimeline,
  taskPhaseAt,
} from "./task-timeline.ts";
export {
  capacityOf,
  type TokenBucketRate,
  type TokenBucketState,
  type TokenTake,
  takeToken,
} from "./token-bucket.ts";
