import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { createQueues, createRedisConnection, type VeoqQueues } from "@veoq/pipeline";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import {
  createMetricsRegistry,
  livenessText,
  parsePrometheusText,
  registerQueueDepthMetrics,
  startMetricsServer,
  WorkerLiveness,
} from "../src/index.ts";

const REDIS_URL = "redis://127.0.0.1:6379";
const prefix = `{veoq-liveness-test-${randomUUID().slice(0, 8)}}`;
const redis = createRedisConnection(REDIS_URL, "producer");
let queues: VeoqQueues;
let round = 0;

beforeEach(() => {
  // A fresh set of queues per test (its own prefix under the file's), so counts start at 0.
  round++;
  queues = createQueues(redis, `${prefix.slice(0, -1)}-${round}}`);
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix.slice(0, -1)}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

/** A clock the test moves by hand, starting at the real time (BullMQ stamps jobs with it). */
function manualClock() {
  let at = Date.now();
  return { now: () => at, advance: (ms: number) => (at += ms) };
}

describe("veoq_backlog", () => {
  it("counts waiting, prioritized and due delayed jobs of every queue, not delayed ones still ahead", async () => {
    const registry = createMetricsRegistry({ processMetrics: false });
    registerQueueDepthMetrics(registry, queues);
    const backlog = async () =>
      parsePrometheusText(await registry.metrics()).find((s) => s.name === "veoq_backlog")?.value;
    expect(await backlog()).toBe(0);
    await queues.submit.add("submit", {} as never, { jobId: "b~1" });
    await queues.submit.add("submit", {} as never, { jobId: "b~2", priority: 5 });
    await queues.poll.add("poll", {} as never, { jobId: "b~3~p0", delay: 1 });
    await queues.poll.add("poll", {} as never, { jobId: "b~4~p0", delay: 600_000 });
    await queues.download.add("download", {} as never, { jobId: "b~5~d0", delay: 1 });
    await new Promise((r) => setTimeout(r, 20));
    // BullMQ's list-length view misses the prioritized job and both due delayed ones.
    expect((await queues.submit.getJobCounts("waiting")).waiting).toBe(1);
    expect(await backlog()).toBe(4);
  });
});

describe("WorkerLiveness", () => {
  it("is live while the queue is empty, however long the worker has been quiet", async () => {
    const clock = manualClock();
    const worker = new EventEmitter();
    const liveness = new WorkerLiveness({
      workers: [{ role: "submit", worker }],
      queues,
      stallMs: 1000,
      now: clock.now,
    });
    clock.advance(60_000);
    expect(await liveness.check()).toEqual({ live: true });
  });

  it("fails once jobs have been due for stallMs without a tick, and recovers on the next job taken", async () => {
    const clock = manualClock();
    const worker = new EventEmitter();
    const liveness = new WorkerLiveness({
      workers: [{ role: "submit", worker }],
      queues,
      stallMs: 30_000,
      now: clock.now,
    });
    clock.advance(600_000); // quiet for long while the queue was empty: not a wedge by itself
    await queues.submit.add("submit", {} as never, { jobId: "w~1" });
    expect(await liveness.check()).toEqual({ live: true }); // due since now
    clock.advance(29_000);
    expect(await liveness.check()).toEqual({ live: true });
    clock.advance(1_000);
    const wedged = await liveness.check();
    expect(wedged).toEqual({
      live: false,
      reason: "wedged: 1 submit jobs due for 30 s and the worker took none",
    });
    expect(livenessText(wedged)).toBe("not live: wedged\n");
    worker.emit("active");
    expect(await liveness.check()).toEqual({ live: true });
    clock.advance(30_000);
    expect((await liveness.check()).live).toBe(false);
    worker.emit("completed");
    expect((await liveness.check()).live).toBe(true);
  });

  it("counts due delayed jobs (a wedged poll worker promotes none) but not a paused queue", async () => {
    const clock = manualClock();
    const liveness = new WorkerLiveness({
      workers: [
        { role: "poll", worker: new EventEmitter() },
        { role: "submit", worker: new EventEmitter() },
      ],
      queues,
      stallMs: 10_000,
      now: clock.now,
    });
    await queues.poll.add("poll", {} as never, { jobId: "d~1~p0", delay: 5_000 });
    await queues.submit.add("submit", {} as never, { jobId: "d~2" });
    await queues.submit.pause(); // a credentials stop: nothing the worker could take
    expect(await liveness.check()).toEqual({ live: true }); // the poll is not due yet
    clock.advance(6_000);
    expect(await liveness.check()).toEqual({ live: true }); // due since now
    clock.advance(10_000);
    expect(await liveness.check()).toMatchObject({ live: false, reason: /1 poll jobs due/ });
  });

  it("is served as /livez: 200 live, 503 when wedged", async () => {
    let live = true;
    const server = await startMetricsServer({
      registry: createMetricsRegistry({ processMetrics: false }),
      liveness: async () => (live ? { live: true } : { live: false, reason: "wedged: x" }),
    });
    try {
      const ok = await fetch(`${server.url}/livez`);
      expect([ok.status, await ok.text()]).toEqual([200, "live\n"]);
      live = false;
      const wedged = await fetch(`${server.url}/livez`);
      expect([wedged.status, await wedged.text()]).toEqual([503, "not live: wedged\n"]);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
