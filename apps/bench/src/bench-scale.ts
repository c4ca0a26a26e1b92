import type { FairShareScenario } from "./fair-share-cost.ts";
import type { KeyPoolScenario } from "./key-pool-cost.ts";
import type { RoleConcurrency } from "./run-veoq-batch.ts";
import type { RateScenario, SchedulingScenario } from "./scheduling-cost.ts";

/** How big each measurement is. */
export interface BenchScale {
  name: "full" | "quick";
  pipelineItems: number;
  /** Rounds per side of the pipeline comparison. */
  pipelineRounds: number;
  /** Lite items whose Redis commands are counted (enqueue, then the pipeline). */
  commandItems: number;
  pollingTasks: number;
  /** Real seconds per provider second in the polling runs. */
  pollingTimeScale: number;
  memoryJobs: number;
  /** Seconds an idle worker's Redis commands are counted over (the goal is an average per minute). */
  idleSeconds: number;
  /** Batches run against a simulator with a cap on concurrent tasks veoq is not told. */
  scheduling: readonly SchedulingScenario[];
  /** A batch under the provider's create rate (real minutes, as the provider counts). */
  rate: RateScenario;
  /** A small batch behind a big one, and alone. */
  fairShare: FairShareScenario;
  /** Three API keys of caps 10, 5 and 5 (issue 27). */
  keys: KeyPoolScenario;
  /** veoq's defaults (VEOQ_*_CONCURRENCY), used by both sides. */
  concurrency: RoleConcurrency;
}

const CONCURRENCY: RoleConcurrency = { submit: 4, poll: 32, download: 4 };

export const FULL_SCALE: BenchScale = {
  name: "full",
  pipelineItems: 5_000,
  pipelineRounds: 2,
  commandItems: 300,
  pollingTasks: 500,
  // 180 provider seconds -> 45 real seconds: a polling run takes about a minute.
  pollingTimeScale: 0.25,
  memoryJobs: 100_000,
  idleSeconds: 60,
  scheduling: [
    { model: "veo-3.1-generate-img2video", items: 200, maxConcurrent: 20, timeScale: 0.05 },
    { model: "veo-3.1-lite-firstlastframe", items: 200, maxConcurrent: 20, timeScale: 0.05 },
    { model: "veo-3.1-lite-firstlastframe", items: 100, maxConcurrent: 5, timeScale: 0.05 },
    { model: "veo-3.1-lite-firstlastframe", items: 500, maxConcurrent: 50, timeScale: 0.05 },
    { model: "veo-3.1-lite-firstlastframe", items: 100, maxConcurrent: 20, timeScale: 0.25 },
  ],
  rate: { items: 60, rpm: 50, timeScale: 0.05 },
  fairShare: { bigItems: 400, smallItems: 10, maxConcurrent: 20, timeScale: 0.05 },
  // Time scale 0.2: at 0.05 a loaded machine's event-loop delays (tens of ms) are whole provider
  // seconds of refill lag per slot round, for one key as much as for three.
  keys: { items: 100, timeScale: 0.2, rpm: 50, rateItemsPerKey: 30, credit: 20 },
  concurrency: CONCURRENCY,
};

export const QUICK_SCALE: BenchScale = {
  name: "quick",
  pipelineItems: 1_000,
  pipelineRounds: 1,
  commandItems: 300,
  pollingTasks: 150,
  pollingTimeScale: 0.1,
  memoryJobs: 100_000,
  idleSeconds: 60,
  scheduling: [
    { model: "veo-3.1-generate-img2video", items: 100, maxConcurrent: 10, timeScale: 0.05 },
    { model: "veo-3.1-lite-firstlastframe", items: 100, maxConcurrent: 10, timeScale: 0.05 },
  ],
  rate: { items: 30, rpm: 50, timeScale: 0.05 },
  fairShare: { bigItems: 200, smallItems: 10, maxConcurrent: 10, timeScale: 0.05 },
  keys: { items: 60, timeScale: 0.1, rpm: 60, rateItemsPerKey: 15, credit: 10 },
  concurrency: CONCURRENCY,
};
