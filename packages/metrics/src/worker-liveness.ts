import type { QueueRole, VeoqQueues } from "@veoq/pipeline";
import { readDueJobs } from "./due-jobs.ts";
import { withTimeout } from "./with-timeout.ts";

export type Liveness = { live: true } | { live: false; reason: string };

/** The events of a BullMQ worker that show its loop turning (a structural slice of `Worker`). */
export interface TickingWorker {
  on(event: "active" | "completed" | "failed" | "drained", listener: () => void): unknown;
}

export interface WorkerLivenessOptions {
  /** The process's workers with the role (queue) each works on. */
  workers: readonly { role: QueueRole; worker: TickingWorker }[];
  queues: VeoqQueues;
  /** How long due jobs may wait without a tick before the worker counts as wedged (ms). */
  stallMs: number;
  /** How long Redis may take to answer (ms); a slow Redis is readiness's business. Default 2000. */
  timeoutMs?: number;
  now?: () => number;
}

/**
 * Whether a worker process's loops still turn, for `/livez` (a Kubernetes liveness probe): a
 * role is wedged when jobs of its queue have been due (waiting, prioritized, or delayed past
 * their time) for `stallMs` while its worker neither took nor finished a job nor found its queue
 * empty. A busy worker ticks on every job; an idle one has nothing due; a paused queue has
 * nothing due. "The HTTP port answers" alone would pass a process whose BullMQ loop hangs (a
 * blocked connection, a processor that never returns), and a restart is what fixes that.
 * "Due since" is first seen by a check, so detection takes `stallMs` plus one probe period.
 * Redis being unreachable is not a wedge (a restart would not help): it reads as live.
 */
export class WorkerLiveness {
  /** Per role: the last tick, and since when (first seen by a check) jobs are due without one. */
  private readonly roles = new Map<QueueRole, { lastTick: number; dueSince?: number }>();
  private readonly now: () => number;
  private readonly options: WorkerLivenessOptions;

  constructor(options: WorkerLivenessOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    for (const { role, worker } of options.workers) {
      const state: { lastTick: number; dueSince?: number } = { lastTick: this.now() };
      this.roles.set(role, state);
      const tick = () => {
        state.lastTick = this.now();
        state.dueSince = undefined;
      };
      for (const event of ["active", "completed", "failed", "drained"] as const) {
        worker.on(event, tick);
      }
    }
  }

  async check(): Promise<Liveness> {
    const now = this.now();
    for (const [role, state] of this.roles) {
      const due = await withTimeout(
        readDueJobs(this.options.queues[role], now),
        this.options.timeoutMs ?? 2000,
      ).catch(() => 0);
      if (due === 0) {
        state.dueSince = undefined;
        continue;
      }
      state.dueSince ??= now;
      const stuckMs = now - Math.max(state.dueSince, state.lastTick);
      if (stuckMs >= this.options.stallMs) {
        return {
          live: false,
          reason: `wedged: ${due} ${role} jobs due for ${Math.round(stuckMs / 1000)} s and the worker took none`,
        };
      }
    }
    return { live: true };
  }
}

/** The body of `/livez`: "live", or "not live: wedged" (details go to the log, not the probe). */
export function livenessText(state: Liveness): string {
  if (state.live) return "live\n";
  const summary = state.reason.split(":")[0]?.trim() || "unknown";
  return `not live: ${summary}\n`;
}
