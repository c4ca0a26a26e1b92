import type { EndpointSlug } from "@veoq/contract";
import { z } from "zod";
import type { KeyLimit } from "./key-limits.ts";

/** How long tasks of one endpoint run, in provider seconds (sampled uniformly). */
export interface DurationRange {
  /** Shortest task. */
  minSeconds: number;
  /** Longest task. */
  maxSeconds: number;
}

/** Per-key token bucket over every API request. */
export interface RateLimitOptions {
  /** Sustained requests per second per key; 0 turns the rate limit off. Default 0. */
  requestsPerSecond: number;
  /** Bucket size (requests allowed at once); 0 means `max(1, requestsPerSecond)`. Default 0. */
  burst: number;
  /** Value of the `Retry-After` header (real seconds) on a 429; 0 means "until the next token". Default 1. */
  retryAfterSeconds: number;
  /**
   * Which requests the limit counts: "all" API requests, or only "creates" (the provider's
   * per-model RPM limit is on the model's endpoint). Default "all".
   */
  scope: "all" | "creates";
}

/** Extra latency added to every API request, uniform in [min, max] real milliseconds. */
export interface LatencyRange {
  /** Default 0. */
  min: number;
  /** Default 0. */
  max: number;
}

/** Everything that can be changed while the simulator runs (`setFaults`, `POST /__sim/faults`). */
export interface FaultOptions {
  /** Keys whose balance is exhausted: every API request with them gets 402. Default []. */
  exhaustedKeys: string[];
  /** Fraction of tasks (without markers) that end FAILED with a random reason. Default 0. */
  failureRate: number;
  /** Per-key rate limit (429 "rate limit exceeded" with Retry-After). Default off. */
  rateLimit: RateLimitOptions;
  /** Tasks a key may have QUEUED or PROCESSING at once; beyond it a create gets 429 "too many concurrent tasks". 0 = off. Default 0. */
  maxConcurrentTasks: number;
  /** `Retry-After` (real seconds) sent with the concurrency 429. Default 1. */
  concurrencyRetryAfterSeconds: number;
  /** Fraction of API requests answered 500/502/503 before any effect. Default 0. */
  serverErrorRate: number;
  /** Latency added to API requests. Default {min: 0, max: 0}. */
  latencyMs: LatencyRange;
  /** Fraction of API requests whose socket is destroyed without an answer, before any effect. Default 0. */
  dropConnectionRate: number;
  /** Fraction of accepted creates whose task IS created and whose socket is then destroyed. Default 0. */
  dropAfterCreateRate: number;
  /** Fraction of valid creates answered 200 with a body that is not JSON (no task created). Default 0. */
  invalidJsonRate: number;
  /** Fraction of valid creates answered 200 with JSON lacking `task_id` (no task created). Default 0. */
  missingTaskIdRate: number;
  /** Fraction of file downloads answered 200 text/html instead of the MP4. Default 0. */
  htmlFileRate: number;
  /**
   * Fraction of file downloads answered 503 "file storage busy, please retry" (a transient
   * fault: an item whose every download try meets it fails at download, and `veoq retry`
   * fetches its paid files again for free). Default 0.
   */
  fileErrorRate: number;
  /**
   * Serve every video cut to its first N bytes, with a matching Content-Length (a transfer the
   * provider's side truncated: only checking the container tells). 0 = off. Default 0.
   */
  truncatedFileBytes: number;
  /** Lifetime of result URLs in provider seconds (scaled by timeScale). Default 3600. */
  urlTtlSeconds: number;
  /** Whether task results carry `eta`. Default true. */
  reportEta: boolean;
  /** Whether task results carry `progress_percent`. Default true. */
  reportProgress: boolean;
}

export interface SimulatorOptions extends FaultOptions {
  /** Interface to listen on. Default "127.0.0.1". */
  host: string;
  /** Port to listen on; 0 picks a free port. Default 0. */
  port: number;
  /** Keys accepted in `Authorization: Bearer <key>`. Default ["sim-key"]. */
  apiKeys: string[];
  /**
   * Each key's own concurrency cap, creates per minute and credit (`veoq mock --keys`); keys
   * listed here also get their own figures in the stats (`by_key`). Default {}.
   */
  keyLimits: Record<string, KeyLimit>;
  /** Seed of the PRNG behind every random choice. Default 1. */
  seed: number;
  /** Real seconds per provider second (0.01 turns a 90 s task into 0.9 s). Default 1. */
  timeScale: number;
  /** Task durations per endpoint. Default img2video 60-180 s, lite 30-90 s. */
  durations: Record<EndpointSlug, DurationRange>;
  /** Fraction of a task's duration spent QUEUED before PROCESSING. Default 0.1. */
  queuedFraction: number;
  /** Size in bytes of each served MP4: its base video (2-4 KB) padded up to this size. Default 8192. */
  fileSizeBytes: number;
  /** Largest accepted request body; larger ones get 413. Default 64 MiB. */
  maxBodyBytes: number;
  /**
   * Part of every task id, so ids of a restarted simulator never collide with older ones.
   * Default: random per start. Set it to get fully reproducible ids.
   */
  instanceId: string | undefined;
  /** Clock in ms since the epoch; inject one in tests. Default `Date.now`. */
  clock: () => number;
}

/** Options as accepted by `startSimulator`: every field, and every nested field, optional. */
export type SimulatorOverrides = Partial<
  Omit<SimulatorOptions, "rateLimit" | "latencyMs" | "durations">
> & {
  rateLimit?: Partial<RateLimitOptions>;
  latencyMs?: Partial<LatencyRange>;
  durations?: Partial<Record<EndpointSlug, DurationRange>>;
};

/** Fault changes as accepted by `setFaults`: nested objects may be partial too. */
export type FaultOverrides = Partial<Omit<FaultOptions, "rateLimit" | "latencyMs">> & {
  rateLimit?: Partial<RateLimitOptions>;
  latencyMs?: Partial<LatencyRange>;
};

export const DEFAULT_FAULT_OPTIONS: FaultOptions = {
  exhaustedKeys: [],
  failureRate: 0,
  rateLimit: { requestsPerSecond: 0, burst: 0, retryAfterSeconds: 1, scope: "all" },
  maxConcurrentTasks: 0,
  concurrencyRetryAfterSeconds: 1,
  serverErrorRate: 0,
  latencyMs: { min: 0, max: 0 },
  dropConnectionRate: 0,
  dropAfterCreateRate: 0,
  invalidJsonRate: 0,
  missingTaskIdRate: 0,
  htmlFileRate: 0,
  fileErrorRate: 0,
  truncatedFileBytes: 0,
  urlTtlSeconds: 3600,
  reportEta: true,
  reportProgress: true,
};

export const DEFAULT_SIMULATOR_OPTIONS: SimulatorOptions = {
  ...DEFAULT_FAULT_OPTIONS,
  host: "127.0.0.1",
  port: 0,
  apiKeys: ["sim-key"],
  keyLimits: {},
  seed: 1,
  timeScale: 1,
  durations: {
    "veo-3.1-generate-img2video": { minSeconds: 60, maxSeconds: 180 },
    "veo-3.1-lite-firstlastframe": { minSeconds: 30, maxSeconds: 90 },
  },
  queuedFraction: 0.1,
  fileSizeBytes: 8192,
  maxBodyBytes: 64 * 1024 * 1024,
  instanceId: undefined,
  clock: Date.now,
};

const FAULT_KEYS = Object.keys(DEFAULT_FAULT_OPTIONS) as (keyof FaultOptions)[];

/** The fault part of a full set of options. */
export function faultOptionsOf(options: FaultOptions): FaultOptions {
  return Object.fromEntries(
    FAULT_KEYS.map((key) => [key, options[key]]),
  ) as unknown as FaultOptions;
}

const rate = z.number().min(0).max(1);
const nonNegative = z.number().min(0);

const rateLimitSchema = z.strictObject({
  requestsPerSecond: nonNegative,
  burst: nonNegative,
  retryAfterSeconds: nonNegative,
  scope: z.enum(["all", "creates"]),
});

const latencySchema = z
  .strictObject({ min: nonNegative, max: nonNegative })
  .refine((range) => range.min <= range.max, { message: "min must not exceed max" });

const durationSchema = z
  .strictObject({ minSeconds: nonNegative, maxSeconds: nonNegative })
  .refine((range) => range.minSeconds <= range.maxSeconds, {
    message: "minSeconds must not exceed maxSeconds",
  });

export const faultOptionsSchema = z.strictObject({
  exhaustedKeys: z.array(z.string()),
  failureRate: rate,
  rateLimit: rateLimitSchema,
  maxConcurrentTasks: z.int().min(0),
  concurrencyRetryAfterSeconds: nonNegative,
  serverErrorRate: rate,
  latencyMs: latencySchema,
  dropConnectionRate: rate,
  dropAfterCreateRate: rate,
  invalidJsonRate: rate,
  missingTaskIdRate: rate,
  htmlFileRate: rate,
  fileErrorRate: rate,
  truncatedFileBytes: z.int().min(0),
  urlTtlSeconds: nonNegative,
  reportEta: z.boolean(),
  reportProgress: z.boolean(),
});

const simulatorOptionsSchema = faultOptionsSchema.extend({
  host: z.string().min(1),
  port: z.int().min(0).max(65535),
  apiKeys: z.array(z.string().min(1)),
  keyLimits: z.record(
    z.string().min(1),
    z.strictObject({
      maxConcurrentTasks: z.int().min(0).optional(),
      createsPerMinute: z.number().min(0).optional(),
      credit: z.int().min(0).optional(),
    }),
  ),
  seed: z.int(),
  timeScale: z.number().positive(),
  durations: z.strictObject({
    "veo-3.1-generate-img2video": durationSchema,
    "veo-3.1-lite-firstlastframe": durationSchema,
  }),
  queuedFraction: z.number().min(0).lt(1),
  fileSizeBytes: z.int().min(0),
  maxBodyBytes: z.int().positive(),
  instanceId: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .optional(),
  clock: z.custom<() => number>((value) => typeof value === "function"),
});

/** Drop keys whose value is `undefined`, so they keep their defaults instead of erasing them. */
function definedEntriesOf<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(
    Object.entries(value ?? {}).filter(([, entry]) => entry !== undefined),
  ) as Partial<T>;
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "options"}: ${issue.message}`)
    .join("; ");
}

/** Merge fault overrides into current faults and check the result; throws on invalid values. */
export function mergeFaultOptions(current: FaultOptions, overrides: FaultOverrides): FaultOptions {
  const merged = {
    ...current,
    ...definedEntriesOf(overrides),
    rateLimit: { ...current.rateLimit, ...definedEntriesOf(overrides.rateLimit) },
    latencyMs: { ...current.latencyMs, ...definedEntriesOf(overrides.latencyMs) },
  };
  const parsed = faultOptionsSchema.safeParse(merged);
  if (!parsed.success) {
    throw new RangeError(`invalid fault options: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}

/** Fill every missing option with its default and check the result; throws on invalid values. */
export function resolveSimulatorOptions(overrides: SimulatorOverrides = {}): SimulatorOptions {
  const defaults = DEFAULT_SIMULATOR_OPTIONS;
  const merged = {
    ...defaults,
    ...definedEntriesOf(overrides),
    rateLimit: { ...defaults.rateLimit, ...definedEntriesOf(overrides.rateLimit) },
    latencyMs: { ...defaults.latencyMs, ...definedEntriesOf(overrides.latencyMs) },
    durations: { ...defaults.durations, ...definedEntriesOf(overrides.durations) },
  };
  const parsed = simulatorOptionsSchema.safeParse(merged);
  if (!parsed.success) {
    throw new RangeError(`invalid simulator options: ${describeIssues(parsed.error)}`);
  }
  return { ...parsed.data, instanceId: parsed.data.instanceId, clock: merged.clock };
}
