import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeKeysUnder } from "@veoq/local-redis";
import { type Simulator, startSimulator } from "@veoq/simulator";
import { readDeliveryLog, verifyWebhook } from "@veoq/webhooks";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startWebhookReceiver,
  type WebhookReceiver,
} from "../../../packages/webhooks/test/webhook-receiver.ts";
import { CLI, DEMO_DIR, REPO_ROOT, runCli, simulatorTestEnv } from "./run-cli.ts";

const SECRET = `whsec_${randomBytes(24).toString("base64")}`;
/** The one delay after a failed try: long enough to kill the worker while the retry is due. */
const RETRY_DELAY_MS = 4_000;

/**
 * `veoq enqueue --webhook`, `veoq worker` and `veoq webhooks` as processes: a worker SIGKILLed
 * while a delivery's retry is due delivers it after a restart, with the same webhook-id.
 */
describe("webhooks from the CLI (enqueue --webhook, a killed worker, veoq webhooks)", () => {
  const prefix = `{veoq-cli-wh-${randomBytes(4).toString("hex")}}`;
  const dir = mkdtempSync(join(tmpdir(), "veoq-cli-wh-"));
  let simulator: Simulator;
  let receiver: WebhookReceiver;
  let env: NodeJS.ProcessEnv;
  const workers: ChildProcess[] = [];
  const startWorker = () => {
    const worker = spawn(process.execPath, [CLI, "worker", "--concurrency", "8"], {
      cwd: REPO_ROOT,
      env,
      stdio: "ignore",
    });
    workers.push(worker);
    return worker;
  };
  const waitFor = async (check: () => boolean | Promise<boolean>, what: string, ms = 30_000) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  beforeAll(async () => {
    simulator = await startSimulator({ timeScale: 0.01 });
    receiver = await startWebhookReceiver();
    env = {
      ...simulatorTestEnv(prefix, simulator.url, dir),
      VEOQ_WEBHOOK_SECRET: SECRET,
      VEOQ_WEBHOOK_ALLOW_PRIVATE: "1",
      VEOQ_WEBHOOK_RETRY_SCHEDULE: `${RETRY_DELAY_MS}ms`,
    };
  });
  afterAll(async () => {
    for (const worker of workers) worker.kill("SIGKILL");
    await simulator?.close();
    await receiver?.close();
    const redis = new Redis(env.REDIS_URL as string);
    await removeKeysUnder(redis, prefix);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses --webhook-events without --webhook, and unknown events", async () => {
    const alone = await runCli(
      ["enqueue", join(DEMO_DIR, "manifest.jsonl"), "--webhook-events", "batch.completed"],
      { env },
    );
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain("--webhook-events needs --webhook URL");
    const unknown = await runCli(
      [
        "enqueue",
        join(DEMO_DIR, "manifest.jsonl"),
        "--webhook",
        "http://x.test/",
        "--webhook-events",
        "batch.done",
      ],
      { env },
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("must be a comma-separated list of batch.completed");
  });

  it("delivers after a restart when the worker is SIGKILLed while the retry is due", async () => {
    receiver.answer = (path, nth) =>
      path.startsWith("/hooks/k?") && nth === 1 ? { status: 500 } : { status: 200 };
    const enqueued = await runCli(
      [
        "enqueue",
        join(DEMO_DIR, "manifest.jsonl"),
        "--batch",
        "wk1",
        "--webhook",
        `${receiver.url}/hooks/k?token=receiver-secret`,
        "--webhook-events",
        "batch.completed",
        "--json",
      ],
      { env },
    );
    expect(enqueued.code).toBe(0);
    const first = startWorker();
    // Killed once the first try (answered 500) is logged and its retry scheduled.
    const redis = new Redis(env.REDIS_URL as string);
    try {
      await waitFor(async () => {
        const [d] = await readDeliveryLog({ redis, prefix }, "wk1");
        return d?.state === "retrying";
      }, "the first try to fail");
    } finally {
      redis.disconnect();
    }
    first.kill("SIGKILL");
    const pending = await runCli(["webhooks", "wk1", "--json"], { env });
    expect(pending.code).toBe(0);
    const [delivery] = (
      JSON.parse(pending.stdout) as {
        deliveries: { state: string; attempts: { status: number; next_attempt_at: string }[] }[];
      }
    ).deliveries;
    expect(receiver.received).toHaveLength(1);
    expect(delivery?.state).toBe("retrying");
    expect(delivery?.attempts.map((a) => a.status)).toEqual([500]);
    // While no worker runs, nothing more is sent, even past the retry's due time.
    await new Promise((r) => setTimeout(r, RETRY_DELAY_MS + 500));
    expect(receiver.received).toHaveLength(1);

    startWorker();
    await waitFor(() => receiver.received.length >= 2, "the retry after the restart");
    await new Promise((r) => setTimeout(r, 1_500)); // time for any duplicate to arrive
    expect(receiver.received.map((r) => r.status)).toEqual([500, 200]);
    const [killed, delivered] = receiver.received;
    expect(delivered?.headers["webhook-id"]).toBe(killed?.headers["webhook-id"]);
    const event = verifyWebhook(delivered?.headers ?? {}, delivered?.rawBody ?? "", SECRET) as {
      type: string;
      data: { batch_id: string; finished: boolean; total: number; done: number };
    };
    expect(event).toMatchObject({
      type: "batch.completed",
      data: { batch_id: "wk1", finished: true, total: 13, done: 13 },
    });

    const text = await runCli(["webhooks", "wk1"], { env });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("batch wk1: 1 webhook deliveries");
    expect(text.stdout).toMatch(
      /delivered +batch\.completed -> http:\/\/127\.0\.0\.1:\d+\/hooks\/k \(2 tries, last HTTP 200/,
    );
    expect(text.stdout).not.toContain("receiver-secret");
    const unknown = await runCli(["webhooks", "nope"], { env });
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('no batch "nope"');
  });
});
