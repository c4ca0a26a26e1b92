import { randomBytes } from "node:crypto";
import { type FaultOptions, faultOptionsOf, type SimulatorOptions } from "./options.ts";
import { createPrng, type Prng } from "./prng.ts";
import { StatsCollector } from "./simulator-stats.ts";
import { TaskStore } from "./task-store.ts";
import type { TokenBucketState } from "./token-bucket.ts";

/** The mutable state one running simulator shares between its request handlers. */
export interface SimulatorContext {
  readonly options: SimulatorOptions;
  /** Current faults (replaced as a whole by `setFaults`). */
  faults: FaultOptions;
  readonly prng: Prng;
  readonly store: TaskStore;
  readonly stats: StatsCollector;
  /** Token buckets per API key. */
  readonly buckets: Map<string, TokenBucketState>;
  /** Token buckets of each key's own create pace (key-limits.ts). */
  readonly createBuckets: Map<string, TokenBucketState>;
  /** Creates made per key, against its credit (key-limits.ts). */
  readonly creditUsed: Map<string, number>;
  /** Key of the HMAC that signs result URLs (random per start). */
  readonly fileSecret: Buffer;
  /** Prefix of every task id of this simulator. */
  readonly instanceId: string;
  /** Base URL used in result links when a request carries no Host header. */
  baseUrl: string;
  /** Sequence number of the next task. */
  nextTaskSeq: number;
}

export function createSimulatorContext(options: SimulatorOptions): SimulatorContext {
  return {
    options,
    faults: faultOptionsOf(options),
    prng: createPrng(options.seed),
    store: new TaskStore(),
    stats: new StatsCollector(),
    buckets: new Map(),
    createBuckets: new Map(),
    creditUsed: new Map(),
    fileSecret: randomBytes(32),
    instanceId: options.instanceId ?? randomBytes(4).toString("hex"),
    baseUrl: "",
    nextTaskSeq: 1,
  };
}
