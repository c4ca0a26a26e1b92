import { randomBytes } from "node:crypto";
import { createLogger } from "@veoq/logging";
import { enqueueManifest, resumeSubmissions, SpendLedger, stopSubmissions } from "@veoq/pipeline";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createHarness,
  type Harness,
  img2videoLine,
} from "../../pipeline/test/pipeline-harness.ts";
import {
  type RunningWebhookWorker,
  readDeliveryLog,
  replayDelivery,
  startWebhookWorker,
  verifyWebhook,
  webhookEventSchema,
} from "../src/index.ts";
import { startWebhookReceiver, type WebhookReceiver } from "./webhook-receiver.ts";

const SECRET = `whsec_${randomBytes(24).toString("base64")}`;
const SCHEDULE_MS = 300;

/**
 * Webhooks out end to end: real Redis, the simulator, the pipeline's workers and the webhook
 * worker, and a receiver on loopback (VEOQ_WEBHOOK_ALLOW_PRIVATE=1).
 */
describe("webhooks out, end to end", () => {
  let h: Harness;
  let receiver: WebhookReceiver;
  let webhooks: RunningWebhookWorker;
  /** The state each delivery try ended in (startWebhookWorker onTry). */
  const tries: string[] = [];

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    h = await createHarness({
      env: {
        VEOQ_WEBHOOK_SECRET: SECRET,
        VEOQ_WEBHOOK_ALLOW_PRIVATE: "1",
        VEOQ_WEBHOOK_RETRY_SCHEDULE: Array(5).fill(`${SCHEDULE_MS}ms`).join(","),
        VEOQ_API_PUBLIC_URL: "https://veoq.example/api",
      },
    });
    await h.start();
    webhooks = await startWebhookWorker({
      config: h.config,
      logger: createLogger({ level: "silent" }),
      lockDurationMs: 2_000,
      stalledIntervalMs: 1_000,
      // Only the writes' wake-up messages relay the entries (relay-loop.ts): no sweep is due.
      sweepIntervalMs: 600_000,
      onTry: (state) => tries.push(state),
    });
  });
  afterAll(async () => {
    await webhooks?.close();
    await h?.close();
    await receiver?.close();
  });

  const enqueue = async (batchId: string, path: string, events?: string[], items = 2) =>
    enqueueManifest({
      manifestPath: await h.writeManifest(
        Array.from({ length: items }, (_, i) => img2videoLine(`${batchId}-shot-${i}`)),
      ),
      batchId,
      queues: h.queues,
      store: h.store,
      submitAttempts: h.config.submitAttempts,
      webhook: { url: `${receiver.url}${path}`, ...(events === undefined ? {} : { events }) },
    });
  const at = (path: string) => receiver.received.filter((r) => r.path === path);
  const typeOf = (r: { rawBody: string }) => (JSON.parse(r.rawBody) as { type: string }).type;

  it("ends a batch with one signed batch.completed, and item events that link veoq's copies", async () => {
    await enqueue("wh1", "/hooks/a", ["batch.completed", "item.completed"]);
    await h.waitForBatch("wh1");
    await h.waitFor(
      async () => at("/hooks/a").length >= 3,
      "three webhooks at the receiver",
      15_000,
    );
    await new Promise((r) => setTimeout(r, 1_500)); // time for any duplicate to arrive
    const got = at("/hooks/a");
    expect(got.map(typeOf).sort()).toEqual(["batch.completed", "item.completed", "item.completed"]);
    const completed = got.find((r) => typeOf(r) === "batch.completed");
    if (completed === undefined) throw new Error("no batch.completed");
    // Signed: both verifiers accept it, and the body has the documented shape.
    const headers = {
      "webhook-id": String(completed.headers["webhook-id"]),
      "webhook-timestamp": String(completed.headers["webhook-timestamp"]),
      "webhook-signature": String(completed.headers["webhook-signature"]),
    };
    expect(new Webhook(SECRET).verify(completed.rawBody, headers)).toBeTruthy();
    const event = webhookEventSchema.parse(verifyWebhook(headers, completed.rawBody, SECRET));
    expect(event.type).toBe("batch.completed");
    if (event.type !== "batch.completed") return;
    expect(event.data).toMatchObject({
      batch_id: "wh1",
      total: 2,
      finished: true,
      counts: { completed: 2, failed: 0 },
      results_url: "https://veoq.example/api/v1/batches/wh1/results",
    });
    for (const item of got.filter((r) => typeOf(r) === "item.completed")) {
      const parsed = webhookEventSchema.parse(JSON.parse(item.rawBody));
      if (parsed.type !== "item.completed") continue;
      expect(parsed.data.files[0]?.url).toBe(
        `https://veoq.example/api/v1/files/wh1/${parsed.data.custom_id}/0`,
      );
      // Never the provider's expiring URL.
      expect(item.rawBody).not.toContain(h.simulator.url);
    }
    const log = await readDeliveryLog({ redis: h.redis, prefix: h.config.prefix }, "wh1");
    expect(log.map((d) => [d.type, d.state, d.attempts.map((a) => a.status)])).toEqual(
      expect.arrayContaining([
        ["batch.completed", "delivered", [200]],
        ["item.completed", "delivered", [200]],
      ]),
    );
    expect(log).toHaveLength(3);
  });

  it("retries a receiver that answers 500 three times: the event arrives once per webhook-id", async () => {
    tries.length = 0;
    receiver.answer = (path, nth) =>
      path === "/hooks/flaky" && nth <= 3 ? { status: 500 } : { status: 200 };
    await enqueue("wh2", "/hooks/flaky", undefined, 1);
    await h.waitForBatch("wh2");
    await h.waitFor(
      async () => at("/hooks/flaky").some((r) => r.status === 200),
      "the flaky receiver to accept",
      20_000,
    );
    await new Promise((r) => setTimeout(r, 1_500));
    const got = at("/hooks/flaky");
    expect(got.map((r) => r.status)).toEqual([500, 500, 500, 200]);
    expect(new Set(got.map((r) => r.headers["webhook-id"])).size).toBe(1);
    expect(got.map(typeOf)).toEqual(Array(4).fill("batch.completed"));
    // Each try is signed afresh, and spaced by the schedule.
    for (let i = 1; i < got.length; i++) {
      expect((got[i]?.at ?? 0) - (got[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(SCHEDULE_MS - 50);
    }
    const [delivery] = await readDeliveryLog({ redis: h.redis, prefix: h.config.prefix }, "wh2");
    expect(delivery?.state).toBe("delivered");
    expect(delivery?.attempts.map((a) => a.status)).toEqual([500, 500, 500, 200]);
    expect(delivery?.attempts[0]?.next_attempt_at).not.toBeNull();
    // What the worker's veoq_webhook_deliveries_total{outcome} counts: each try's state.
    expect(tries.filter((state) => state === "retrying")).toHaveLength(3);
    expect(tries).toContain("delivered");

    // A replay sends the same event (same webhook-id) once more.
    const replayed = await replayDelivery(
      { redis: h.redis, prefix: h.config.prefix, retryScheduleMs: h.config.webhookRetrySchedule },
      delivery?.delivery_id ?? "",
    );
    expect(replayed?.replays).toBe(1);
    await h.waitFor(async () => at("/hooks/flaky").length === 5, "the replay", 10_000);
    expect(at("/hooks/flaky")[4]?.headers["webhook-id"]).toBe(got[0]?.headers["webhook-id"]);
    expect(
      await replayDelivery(
        { redis: h.redis, prefix: h.config.prefix, retryScheduleMs: [] },
        "nope~e1~abc",
      ),
    ).toBeUndefined();
  });

  it("honours a 429's Retry-After, and disables an endpoint that answers 410", async () => {
    receiver.answer = (path, nth) => {
      if (path === "/hooks/busy" && nth === 1) {
        return { status: 429, headers: { "retry-after": "2" } };
      }
      if (path === "/hooks/gone") return { status: 410 };
      return { status: 200 };
    };
    await enqueue("wh3", "/hooks/busy", undefined, 1);
    await enqueue("wh4", "/hooks/gone", undefined, 1);
    await h.waitFor(
      async () => at("/hooks/busy").some((r) => r.status === 200),
      "the busy receiver to accept",
      20_000,
    );
    const busy = at("/hooks/busy");
    expect(busy.map((r) => r.status)).toEqual([429, 200]);
    // The schedule says 300 ms; the endpoint asked for 2 s.
    expect((busy[1]?.at ?? 0) - (busy[0]?.at ?? 0)).toBeGreaterThanOrEqual(1_900);
    await h.waitForBatch("wh4");
    await h.waitFor(
      async () => {
        const [d] = await readDeliveryLog({ redis: h.redis, prefix: h.config.prefix }, "wh4");
        return d?.state === "disabled";
      },
      "the 410 endpoint to be disabled",
      15_000,
    );
    await new Promise((r) => setTimeout(r, 1_000));
    expect(at("/hooks/gone").map((r) => r.status)).toEqual([410]); // no retry after a 410
  });

  it("sends batch.paused with its reason: the budget, then a credentials stop", async () => {
    receiver.answer = () => ({ status: 200 });
    // A budget too small for any create: the first item pauses the batch.
    await new SpendLedger(h.redis, h.config.prefix).setBudget("wh5", 1);
    await enqueue("wh5", "/hooks/paused", ["batch.paused"], 1);
    await h.waitFor(async () => at("/hooks/paused").length >= 1, "a budget pause", 15_000);
    await stopSubmissions(h.store, h.queues, "unauthorized: key refused");
    try {
      await h.waitFor(async () => at("/hooks/paused").length >= 2, "a credentials pause", 15_000);
    } finally {
      await resumeSubmissions(h.store, h.queues);
    }
    await new Promise((r) => setTimeout(r, 1_000));
    const events = at("/hooks/paused").map((r) => webhookEventSchema.parse(JSON.parse(r.rawBody)));
    expect(
      events.map((e) =>
        e.type === "batch.paused" ? [e.type, e.data.batch_id, e.data.reason, e.data.detail] : [],
      ),
    ).toEqual([
      ["batch.paused", "wh5", "budget", null],
      ["batch.paused", "wh5", "credentials", "unauthorized: key refused"],
    ]);
    // Finished batches (wh1..wh4) were not told of the credentials stop.
    expect(at("/hooks/flaky")).toHaveLength(5);
  });
});
