import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type LocalRedis, startLocalRedis } from "@veoq/local-redis";
import { createLogger } from "@veoq/logging";
import { enqueueManifest } from "@veoq/pipeline";
import { afterAll, describe, expect, it } from "vitest";
import { createHarness, img2videoLine } from "../../pipeline/test/pipeline-harness.ts";
import { readDeliveryLog, startWebhookWorker, verifyWebhook } from "../src/index.ts";
import { startWebhookReceiver } from "./webhook-receiver.ts";

const SECRET = `whsec_${randomBytes(24).toString("base64")}`;

/** A delivery whose retry is due while Redis crashes (SIGKILL, AOF) is sent after the restart. */
describe("webhooks through a Redis crash", () => {
  let dir: string | undefined;
  let local: LocalRedis | undefined;
  afterAll(async () => {
    await local?.stop().catch(() => {});
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("delivers a retry that was due while Redis was down, once, with the same webhook-id", async () => {
    dir = await mkdtemp(path.join(tmpdir(), "veoq-webhook-restart-"));
    local = await startLocalRedis({ dataDir: path.join(dir, "redis") });
    const receiver = await startWebhookReceiver();
    receiver.answer = (_path, nth) => (nth === 1 ? { status: 500 } : { status: 200 });
    const h = await createHarness({
      env: {
        REDIS_URL: local.url,
        VEOQ_WEBHOOK_SECRET: SECRET,
        VEOQ_WEBHOOK_ALLOW_PRIVATE: "1",
        VEOQ_WEBHOOK_RETRY_SCHEDULE: "3s",
      },
    });
    const webhooks = await startWebhookWorker({
      config: h.config,
      logger: createLogger({ level: "silent" }),
      lockDurationMs: 2_000,
      stalledIntervalMs: 1_000,
    });
    try {
      h.redis.on("error", () => {});
      await h.start();
      await enqueueManifest({
        manifestPath: await h.writeManifest([img2videoLine("r-0")]),
        batchId: "wr1",
        queues: h.queues,
        store: h.store,
        submitAttempts: h.config.submitAttempts,
        webhook: { url: `${receiver.url}/hooks/r` },
      });
      const log = () => readDeliveryLog({ redis: h.redis, prefix: h.config.prefix }, "wr1");
      await h.waitFor(async () => (await log())[0]?.state === "retrying", "the first try to fail");
      await new Promise((r) => setTimeout(r, 1_100)); // appendfsync everysec
      await local.kill();
      await new Promise((r) => setTimeout(r, 3_500)); // the retry falls due while Redis is down
      expect(receiver.received).toHaveLength(1);
      await local.restart();
      await h.waitFor(async () => receiver.received.length >= 2, "the retry after the restart");
      await new Promise((r) => setTimeout(r, 1_500));
      expect(receiver.received.map((r) => r.status)).toEqual([500, 200]);
      const [first, second] = receiver.received;
      expect(second?.headers["webhook-id"]).toBe(first?.headers["webhook-id"]);
      expect(verifyWebhook(second?.headers ?? {}, second?.rawBody ?? "", SECRET)).toMatchObject({
        type: "batch.completed",
        data: { batch_id: "wr1", finished: true },
      });
      expect((await log())[0]?.attempts.map((a) => a.status)).toEqual([500, 200]);
    } finally {
      await webhooks.close();
      await h.close();
      await receiver.close();
    }
  });
});
