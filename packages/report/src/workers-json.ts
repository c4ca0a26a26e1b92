import { QUEUE_ROLES, type QueueRole, type WorkerRecord } from "@veoq/pipeline";
import { z } from "zod";

const role = z.enum(["submit", "poll", "download"]);

/** One live worker process, as `veoq workers --json` and the dashboard's /api/workers print it. */
export const workerJson = z.object({
  id: z.string(),
  host: z.string(),
  pid: z.number().int(),
  version: z.string(),
  roles: z.array(role),
  /** Jobs run at once, per role. */
  concurrency: z.record(z.string(), z.number().int()),
  started_at: z.iso.datetime(),
  /** The heartbeat's last refresh; the process drops out of the list when it stops. */
  last_beat_at: z.iso.datetime(),
  /** The last job one of its workers took, or null before the first. */
  last_job: z.object({ role, job_id: z.string(), at: z.iso.datetime() }).nullable(),
});
export type WorkerJson = z.infer<typeof workerJson>;

/** `veoq workers --json`. */
export const workersJson = z.object({
  generated_at: z.iso.datetime(),
  workers: z.array(workerJson),
  /** Live processes per role (0: no process works on it, its items wait). */
  roles: z.object({ submit: z.number().int(), poll: z.number().int(), download: z.number().int() }),
});
export type WorkersJson = z.infer<typeof workersJson>;

const iso = (ms: number) => new Date(ms).toISOString();

export function toWorkersJson(records: readonly WorkerRecord[], now: number): WorkersJson {
  const count = (r: QueueRole) => records.filter((w) => w.roles.includes(r)).length;
  const roles = Object.fromEntries(QUEUE_ROLES.map((r) => [r, count(r)])) as WorkersJson["roles"];
  return {
    generated_at: iso(now),
    workers: records.map((w) => ({
      id: w.id,
      host: w.host,
      pid: w.pid,
      version: w.version,
      roles: [...w.roles],
      concurrency: { ...w.concurrency } as Record<string, number>,
      started_at: iso(w.startedAt),
      last_beat_at: iso(w.beatAt),
      last_job:
        w.lastJob === null
          ? null
          : { role: w.lastJob.role, job_id: w.lastJob.jobId, at: iso(w.lastJob.at) },
    })),
    roles,
  };
}
