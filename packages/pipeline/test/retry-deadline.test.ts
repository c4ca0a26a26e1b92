import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { isRedisServerInstalled, type LocalRedis, startLocalRedis } from "@veoq/local-redis";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createQueues, type VeoqQueues } from "../src/jobs/queues.ts";
import { RetryDeadlineError, retryFailedItems } from "../src/operations/retry-failed.ts";
import { BatchStore } from "../src/store/batch-store.ts";
import { createRedisConnection } from "../src/store/connection/redis-connection.ts";
import { redisServerDeadline } from "../src/store/server-deadline.ts";
import { seedFailedSubmits } from "./failed-submits.ts";

const BATCH = "deadline-retry";
const ITEMS = 30;
/** The stall begins once this many items are re-queued. */
const STALL_AFTER = 10;
const STALL_MS = 3_000;

/**
 * A retry whose Redis stalls part-way (CLIENT PAUSE WRITE, on a private server): it stops at its
 * deadline having re-queued exactly the items it reports, nothing more lands when Redis runs
 * again, and running it again re-queues only the rest.
 */
describe.skipIf(!isRedisServerInstalled())("a retry with a deadline", () => {
  let dataDir: string;
  let redisServer: LocalRedis;
  let redis: Redis;
  let pauser: Redis;
  let store: BatchStore;
  let queues: VeoqQueues;
  const prefix = "{veoq-retry-deadline}";

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "veoq-retry-deadline-"));
    redisServer = await startLocalRedis({ dataDir });
    redis = createRedisConnection(redisServer.url, "producer");
    pauser = createRedisConnection(redisServer.url, "producer");
    store = new BatchStore(redis, prefix);
    queues = createQueues(redis, prefix);
    const ids = Array.from({ length: ITEMS }, (_, i) => `item-${i}`);
    await seedFailedSubmits(redis, store, queues, BATCH, ids);
  }, 30_000);

  afterAll(async () => {
    await queues?.close();
    redis?.disconnect();
    pauser?.disconnect();
    await redisServer?.stop().catch(() => {});
    await rm(dataDir, { recursive: true, force: true });
  });

  it("re-queues exactly what it reports before the deadline, and a re-run re-queues the rest", async () => {
    const deadline = await redisServerDeadline(redis, 1_000);
    let seen = 0;
    const error = await retryFailedItems(store, queues, BATCH, {
      submitAttempts: 1,
      deadline,
      onRetried: () => {
        seen++;
        if (seen === STALL_AFTER) void pauser.call("CLIENT", "PAUSE", String(STALL_MS), "WRITE");
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryDeadlineError);
    const reported = (error as RetryDeadlineError).summary.retried;
    console.log(`stopped at the deadline: ${reported} of ${ITEMS} re-queued`);
    expect(reported).toBe(seen);
    expect(reported).toBeGreaterThanOrEqual(STALL_AFTER);
    expect(reported).toBeLessThan(ITEMS);

    // After the stall: nothing beyond what was reported.
    await new Promise((r) => setTimeout(r, STALL_MS + 500));
    expect(await queues.submit.getFailedCount()).toBe(ITEMS - reported);
    const batch = await store.getBatch(BATCH);
    expect(batch?.counts.failed).toBe(ITEMS - reported);
    expect(batch?.counts.queued).toBe(reported);
    expect(batch?.finishedAt).toBeUndefined();

    const again = await retryFailedItems(store, queues, BATCH, { submitAttempts: 1 });
    expect(again.retried).toBe(ITEMS - reported);
    expect(await queues.submit.getFailedCount()).toBe(0);
    expect((await store.getBatch(BATCH))?.counts.failed).toBe(0);
  }, 30_000);
});
