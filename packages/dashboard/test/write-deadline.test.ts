import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseConfig } from "@veoq/config";
import { isRedisServerInstalled, type LocalRedis, startLocalRedis } from "@veoq/local-redis";
import { createLogger } from "@veoq/logging";
import {
  BatchControl,
  BatchStore,
  createQueues,
  createRedisConnection,
  type Redis,
  type VeoqQueues,
} from "@veoq/pipeline";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { seedFailedSubmits } from "../../pipeline/test/failed-submits.ts";
import { type RunningDashboard, startDashboard } from "../src/index.ts";

/** The bound of a dashboard write in this test (ms). */
const WRITE_TIMEOUT_MS = 2_000;
/** How long Redis stalls: well past the bound. */
const STALL_MS = 6_000;
const BATCH = "stall";

/**
 * A pause posted to the dashboard while its private Redis stalls: answered with a 503 within
 * the bound, and not applied when Redis runs again (the write carries a deadline on the Redis
 * server's clock). Two stalls: the whole server stopped (SIGSTOP, from before the request), and
 * one that begins mid-request (CLIENT PAUSE WRITE: the reads answer, the write waits).
 */
describe.skipIf(!isRedisServerInstalled())("dashboard writes during a Redis stall", () => {
  let dataDir: string;
  let redisServer: LocalRedis;
  let dashboard: RunningDashboard;
  let probe: Redis;
  let control: BatchControl;
  const prefix = `{veoq-write-deadline-${randomUUID().slice(0, 8)}}`;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "veoq-dash-deadline-"));
    redisServer = await startLocalRedis({ dataDir });
    const config = parseConfig({ REDIS_URL: redisServer.url, VEOQ_PREFIX: prefix });
    dashboard = await startDashboard({
      config,
      logger: createLogger({ level: "silent" }),
      port: 0,
      app: { refreshSeconds: 0, redisTimeoutMs: 1_000, writeTimeoutMs: WRITE_TIMEOUT_MS },
    });
    probe = createRedisConnection(redisServer.url, "producer");
    probe.on("error", () => {});
    await new BatchStore(probe, prefix).ensureBatch(BATCH, "test", Date.now());
    control = new BatchControl(probe, prefix);
  }, 30_000);

  beforeEach(async () => {
    await control.resume(BATCH);
  });

  afterAll(async () => {
    redisServer?.thaw();
    probe?.disconnect();
    await dashboard?.close();
    await redisServer?.stop().catch(() => {});
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Posts a pause; its status, body and how long the answer took. */
  async function postPause() {
    const started = Date.now();
    const response = await fetch(`${dashboard.url}/api/batches/${BATCH}/pause`, {
      method: "POST",
      signal: AbortSignal.timeout(STALL_MS + 10_000),
    });
    return { status: response.status, body: await response.text(), ms: Date.now() - started };
  }

  it("applies a pause while Redis answers", async () => {
    const answer = await postPause();
    expect(answer.status).toBe(200);
    expect((await control.read(BATCH)).state).toBe("paused");
  });

  it("answers 503 within the bound while Redis is stopped, and never applies the pause", async () => {
    redisServer.freeze();
    const thawed = new Promise<void>((resolve) =>
      setTimeout(() => {
        redisServer.thaw();
        resolve();
      }, STALL_MS),
    );
    const answer = await postPause();
    await thawed;
    console.log(`SIGSTOP stall: ${answer.status} after ${answer.ms} ms`);
    // The write queued behind the stall reaches Redis now, past its deadline.
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await control.read(BATCH)).state).toBe("running");
    expect(answer.status).toBe(503);
    expect(answer.body).toMatch(/not applied/);
    expect(answer.ms).toBeLessThan(STALL_MS);
  }, 30_000);

  it("answers 503 within the bound when the stall begins mid-request, and never applies the pause", async () => {
    // Writes (the control script) wait; reads (the batch lookup, TIME) still answer.
    await probe.call("CLIENT", "PAUSE", String(STALL_MS), "WRITE");
    const answer = await postPause();
    console.log(`mid-request stall: ${answer.status} after ${answer.ms} ms`);
    await new Promise((r) => setTimeout(r, Math.max(0, STALL_MS - answer.ms) + 1_000));
    expect((await control.read(BATCH)).state).toBe("running");
    expect(answer.status).toBe(503);
    expect(answer.body).toMatch(/not applied/);
    expect(answer.ms).toBeLessThan(STALL_MS);
  }, 30_000);

  describe("a retry", () => {
    const RETRY_BATCH = "stall-retry";
    const ITEMS = 20;
    let queues: VeoqQueues;
    let store: BatchStore;

    /** ITEMS items failed at submit (a transient error): a retry re-submits each (paid). */
    beforeAll(async () => {
      store = new BatchStore(probe, prefix);
      queues = createQueues(probe, prefix);
      const ids = Array.from({ length: ITEMS }, (_, i) => `item-${i}`);
      await seedFailedSubmits(probe, store, queues, RETRY_BATCH, ids);
    }, 30_000);

    async function postRetry() {
      const started = Date.now();
      const response = await fetch(`${dashboard.url}/api/batches/${RETRY_BATCH}/retry`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ max_resubmits: ITEMS }),
        signal: AbortSignal.timeout(STALL_MS + 10_000),
      });
      return { status: response.status, body: await response.text(), ms: Date.now() - started };
    }

    it("answers 503 within the bound when the stall begins mid-request, applies nothing after it, and a re-run re-queues the rest", async () => {
      // The reads of the retry (batch, plan, jobs) answer; its first write waits for the thaw.
      await probe.call("CLIENT", "PAUSE", String(STALL_MS), "WRITE");
      const answer = await postRetry();
      console.log(
        `retry, mid-request stall: ${answer.status} after ${answer.ms} ms: ${answer.body}`,
      );
      await new Promise((r) => setTimeout(r, Math.max(0, STALL_MS - answer.ms) + 1_000));
      expect(answer.status).toBe(503);
      expect(answer.ms).toBeLessThan(STALL_MS);
      const said = /(\d+) items were re-queued/.exec(answer.body);
      const reQueued = said ? Number(said[1]) : 0;
      if (!said) expect(answer.body).toMatch(/not applied/);
      // Nothing beyond what the answer said: the others are still failed, their jobs too.
      expect((await store.getBatch(RETRY_BATCH))?.counts.failed).toBe(ITEMS - reQueued);
      expect(await queues.submit.getFailedCount()).toBe(ITEMS - reQueued);

      const again = await postRetry();
      expect(again.status).toBe(200);
      expect(JSON.parse(again.body).retried).toBe(ITEMS - reQueued);
      expect(await queues.submit.getFailedCount()).toBe(0);
      expect((await store.getBatch(RETRY_BATCH))?.counts.failed).toBe(0);
    }, 40_000);
  });
});
