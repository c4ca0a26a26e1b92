import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { z } from "zod";
import { PIPELINE_DEFAULTS } from "../policy/pipeline-defaults.ts";
import type { RedisConnection } from "./connection/redis-connection.ts";
import { QUEUE_ROLES, type QueueRole, type RecordKeys, recordKeys } from "./keys.ts";

const roleSchema = z.enum(QUEUE_ROLES as [QueueRole, ...QueueRole[]]);

/**
 * One worker process's heartbeat record, as `veoq workers`, the dashboard and `veoq_workers` read
 * it. Parsed on read: a record written by another version of veoq that does not fit is skipped.
 */
export const workerRecordSchema = z.object({
  /** "<host>:<pid>:<random>": unique per process start. */
  id: z.string().min(1),
  roles: z.array(roleSchema),
  host: z.string(),
  pid: z.number().int(),
  /** veoq's version in that process. */
  version: z.string(),
  /** When the process started its workers (ms since epoch). */
  startedAt: z.number(),
  /** When it last refreshed this record (ms since epoch). */
  beatAt: z.number(),
  /** Jobs run at once, per role it works on. */
  concurrency: z.partialRecord(roleSchema, z.number().int()),
  /** The last job one of its workers took, or null before the first. */
  lastJob: z.object({ role: roleSchema, jobId: z.string(), at: z.number() }).nullable(),
  /**
   * The names of the API keys it holds (keys/provider-keys.ts; never the keys): a job pinned to a
   * key waits for a process that has it. Absent in records of older versions (unknown).
   */
  keys: z.array(z.string()).optional(),
});
export type WorkerRecord = z.infer<typeof workerRecordSchema>;

/** What a worker process says about itself; the registry adds id, beat and last job. */
export interface WorkerIdentity {
  roles: readonly QueueRole[];
  version: string;
  concurrency: Partial<Record<QueueRole, number>>;
  startedAt: number;
  /** Names of the API keys it holds (never the keys). */
  keys?: readonly string[];
  host?: string;
  pid?: number;
}

/** A running heartbeat: tell it each job taken; stop it (removing the record) on shutdown. */
export interface WorkerHeartbeat {
  readonly id: string;
  jobTaken(role: QueueRole, jobId: string): void;
  /** Stops the timer and deletes the record, so the process leaves the list at once. */
  stop(): Promise<void>;
}

export interface HeartbeatOptions {
  /** Real ms between beats; default PIPELINE_DEFAULTS.workerHeartbeatMs. */
  intervalMs?: number;
  /** Real ms a record lives without a beat; default PIPELINE_DEFAULTS.workerRecordTtlMs. */
  ttlMs?: number;
  /** Told when a beat fails (Redis away); the next beat tries again. */
  onError?: (error: unknown) => void;
}

/**
 * The worker processes alive now. Each process keeps one record `<prefix>:worker:<id>` (JSON,
 * with a TTL it refreshes every beat) and its id in the sorted set `<prefix>:workers`, so readers
 * list the records without a SCAN. A process that dies stops refreshing: its record expires and
 * the next reader drops its id from the set. All keys share the prefix's hash tag (one MGET).
 */
export class WorkerRegistry {
  readonly keys: RecordKeys;
  readonly redis: RedisConnection;
  private readonly now: () => number;

  constructor(redis: RedisConnection, prefix: string, now: () => number = Date.now) {
    this.redis = redis;
    this.keys = recordKeys(prefix);
    this.now = now;
  }

  /**
   * Writes (or refreshes) a record that lives `ttlMs` unless written again. One round trip, not a
   * transaction: the two writes need no atomicity (a listed id without its record is pruned by
   * `list`, a record not yet listed is at the next beat), and MULTI/EXEC would double an idle
   * process's heartbeat commands.
   */
  async beat(record: WorkerRecord, ttlMs: number): Promise<void> {
    const replies = await this.redis
      .pipeline()
      .set(this.keys.worker(record.id), JSON.stringify(record), "PX", ttlMs)
      .zadd(this.keys.workers, record.beatAt, record.id)
      .exec();
    const failed = replies?.find(([error]) => error !== null)?.[0];
    if (failed) throw failed;
  }

  async remove(workerId: string): Promise<void> {
    await this.redis
      .multi()
      .del(this.keys.worker(workerId))
      .zrem(this.keys.workers, workerId)
      .exec();
  }

  /** The live worker processes, oldest start first; ids whose record expired are pruned. */
  async list(): Promise<WorkerRecord[]> {
    const ids = await this.redis.zrange(this.keys.workers, 0, -1);
    if (ids.length === 0) return [];
    const values = await this.redis.mget(...ids.map((id) => this.keys.worker(id)));
    const gone = ids.filter((_, i) => values[i] === null);
    if (gone.length > 0) await this.redis.zrem(this.keys.workers, ...gone);
    const records: WorkerRecord[] = [];
    for (const value of values) {
      if (value === null) continue;
      const parsed = workerRecordSchema.safeParse(safeJson(value));
      if (parsed.success) records.push(parsed.data);
    }
    return records.sort((a, b) => a.startedAt - b.startedAt || a.id.localeCompare(b.id));
  }

  /**
   * Starts this process's heartbeat: one beat now (awaited, so the process is listed once this
   * resolves), then one every `intervalMs`. The timer does not keep the process alive.
   */
  async startHeartbeat(
    identity: WorkerIdentity,
    options: HeartbeatOptions = {},
  ): Promise<WorkerHeartbeat> {
    const intervalMs = options.intervalMs ?? PIPELINE_DEFAULTS.workerHeartbeatMs;
    const ttlMs = options.ttlMs ?? PIPELINE_DEFAULTS.workerRecordTtlMs;
    const host = identity.host ?? hostname();
    const pid = identity.pid ?? process.pid;
    const id = `${host}:${pid}:${randomBytes(3).toString("hex")}`;
    let lastJob: WorkerRecord["lastJob"] = null;
    let stopped = false;
    const recordNow = (): WorkerRecord => ({
      id,
      roles: [...identity.roles],
      host,
      pid,
      version: identity.version,
      startedAt: identity.startedAt,
      beatAt: this.now(),
      concurrency: identity.concurrency,
      lastJob,
      ...(identity.keys === undefined ? {} : { keys: [...identity.keys] }),
    });
    const beat = () =>
      this.beat(recordNow(), ttlMs).catch((error: unknown) => options.onError?.(error));
    await beat();
    const timer = setInterval(() => {
      if (!stopped) void beat();
    }, intervalMs);
    timer.unref();
    return {
      id,
      jobTaken: (role, jobId) => {
        lastJob = { role, jobId, at: this.now() };
      },
      stop: async () => {
        stopped = true;
        clearInterval(timer);
        await this.remove(id).catch((error: unknown) => options.onError?.(error));
      },
    };
  }
}

/** The roles that at least one live worker process works on. */
export function liveRolesOf(workers: readonly WorkerRecord[]): Set<QueueRole> {
  return new Set(workers.flatMap((w) => w.roles));
}

/** Stands for "any key" in `liveKeysOf`: a live worker whose record does not list its keys. */
export const ANY_KEY = "*";

/**
 * Per role, the names of the API keys some live worker of that role holds; `ANY_KEY` when one of
 * them does not say (an older version).
 */
export function liveKeysOf(workers: readonly WorkerRecord[]): Map<QueueRole, Set<string>> {
  const keys = new Map<QueueRole, Set<string>>();
  for (const worker of workers) {
    for (const role of worker.roles) {
      const held = keys.get(role) ?? new Set<string>();
      for (const name of worker.keys ?? [ANY_KEY]) held.add(name);
      keys.set(role, held);
    }
  }
  return keys;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
