import { QUEUE_ROLES, type QueueRole, type VeoqQueues } from "@veoq/pipeline";
import { Gauge, type Registry } from "prom-client";
import { countDueDelayed, dueJobsOf } from "./due-jobs.ts";
import { withTimeout } from "./with-timeout.ts";

/** The BullMQ states reported per queue. */
export const QUEUE_STATES = [
  "waiting",
  "active",
  "delayed",
  "prioritized",
  "paused",
  "waiting-children",
  "completed",
  "failed",
] as const;

/** Poll jobs in these states stand for tasks the provider is working on. */
const IN_FLIGHT_STATES = ["waiting", "active", "delayed", "prioritized", "paused"] as const;

export interface QueueDepthMetricsOptions {
  /** Give up reading the counts after this long (ms) and report `veoq_redis_up 0`. Default 2000. */
  timeoutMs?: number;
}

type Counts = Record<QueueRole, Record<string, number>>;

/** The counts of one scrape: per queue and state, plus each queue's delayed jobs already due. */
interface Snapshot {
  counts: Counts;
  dueDelayed: Record<QueueRole, number>;
}

/**
 * Gauges read on scrape (no timers): `veoq_queue_jobs{queue,state}`, `veoq_tasks_in_flight`
 * (poll jobs not final: each is a task the provider is rendering), `veoq_backlog` (jobs a worker
 * could start now, what KEDA scales the workers on: infra/k8s) and `veoq_redis_up`. When
 * Redis does not answer in time the scrape still succeeds, with `veoq_redis_up 0` and no queue
 * series, so an alert can tell "Redis down" from "queues empty".
 */
export function registerQueueDepthMetrics(
  registry: Registry,
  queues: VeoqQueues,
  options: QueueDepthMetricsOptions = {},
): void {
  const timeoutMs = options.timeoutMs ?? 2000;
  let pending: Promise<Snapshot | undefined> | undefined;
  // Several gauges collect concurrently in one scrape: they share one read of the counts.
  const snapshot = (): Promise<Snapshot | undefined> => {
    pending ??= readCounts(queues, timeoutMs).finally(() => {
      pending = undefined;
    });
    return pending;
  };
  const registers = [registry];

  new Gauge({
    name: "veoq_queue_jobs",
    help: "Jobs per queue and BullMQ state",
    labelNames: ["queue", "state"],
    registers,
    async collect() {
      this.reset();
      const counts = (await snapshot())?.counts;
      if (!counts) return;
      for (const queue of QUEUE_ROLES) {
        for (const state of QUEUE_STATES) this.set({ queue, state }, counts[queue][state] ?? 0);
      }
    },
  });
  new Gauge({
    name: "veoq_tasks_in_flight",
    help: "Provider tasks being rendered: poll jobs waiting, delayed, prioritized, paused or active",
    registers,
    async collect() {
      this.reset();
      const counts = (await snapshot())?.counts;
      if (!counts) return;
      this.set(IN_FLIGHT_STATES.reduce((sum, state) => sum + (counts.poll[state] ?? 0), 0));
    },
  });
  new Gauge({
    name: "veoq_backlog",
    help: "Jobs a worker could start now, all queues: waiting, prioritized, and delayed jobs already due (the autoscaling signal)",
    registers,
    async collect() {
      this.reset();
      const read = await snapshot();
      if (!read) return;
      this.set(
        QUEUE_ROLES.reduce(
          (sum, role) =>
            sum +
            dueJobsOf({
              waiting: read.counts[role].waiting ?? 0,
              prioritized: read.counts[role].prioritized ?? 0,
              dueDelayed: read.dueDelayed[role],
            }),
          0,
        ),
      );
    },
  });
  new Gauge({
    name: "veoq_redis_up",
    help: "1 when the queue counts could be read from Redis at this scrape, else 0",
    registers,
    async collect() {
      this.set((await snapshot()) ? 1 : 0);
    },
  });
}

/** The queue counts, or undefined when Redis fails or takes longer than `timeoutMs`. */
async function readCounts(queues: VeoqQueues, timeoutMs: number): Promise<Snapshot | undefined> {
  const now = Date.now();
  const read = Promise.all(
    QUEUE_ROLES.map((role) =>
      Promise.all([queues[role].getJobCounts(...QUEUE_STATES), countDueDelayed(queues[role], now)]),
    ),
  ).then((perRole) => {
    const snapshot: Snapshot = {
      counts: {} as Counts,
      dueDelayed: {} as Record<QueueRole, number>,
    };
    QUEUE_ROLES.forEach((role, i) => {
      const [counts, dueDelayed] = perRole[i] as [Record<string, number>, number];
      snapshot.counts[role] = counts;
      snapshot.dueDelayed[role] = dueDelayed;
    });
    return snapshot;
  });
  return withTimeout(read, timeoutMs).catch(() => undefined);
}
