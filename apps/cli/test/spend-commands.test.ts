import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { removeKeysUnder } from "@veoq/local-redis";
import type { BatchSpendJson } from "@veoq/report";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const CLI = join(REPO_ROOT, "apps", "cli", "bin", "veoq-sources.js");
const DEMO_MANIFEST = join(REPO_ROOT, "examples", "demo", "manifest.jsonl");
/** One task per line of the demo manifest (it grows as the demo shows more). */
const DEMO_ITEMS = readFileSync(DEMO_MANIFEST, "utf8")
  .split("\n")
  .filter((line) => line.trim() !== "").length;

describe("estimate on enqueue, budget, pause, resume and cancel commands", () => {
  const prefix = `{veoq-cli-spend-${randomBytes(4).toString("hex")}}`;
  const env = {
    ...process.env,
    REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    VEOQ_PREFIX: prefix,
    NO_COLOR: "1",
  };
  const run = (args: readonly string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [CLI, ...args],
        { cwd: REPO_ROOT, env },
        (error, stdout, stderr) => {
          const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
          resolve({ code, stdout, stderr });
        },
      );
    });
  const status = async () => {
    const { stdout } = await run(["status", "s1", "--json"]);
    return (JSON.parse(stdout) as { batches: Record<string, unknown>[] }).batches[0] as {
      control: { state: string; reason?: string };
      spend: BatchSpendJson;
      counts: Record<string, number>;
      finished: boolean;
    };
  };

  afterAll(async () => {
    const redis = new Redis(env.REDIS_URL);
    await removeKeysUnder(redis, prefix);
    redis.disconnect();
  });

  it("stores the estimate and budget, pauses, resumes and cancels idempotently", async () => {
    const estimate = JSON.parse((await run(["estimate", DEMO_MANIFEST, "--json"])).stdout) as {
      cost: { amount: number; currency: string };
    };
    const cost = estimate.cost.amount;
    // A budget below the estimate is said at once (the demo manifest costs more than 5 USD).
    expect(cost).toBeGreaterThan(5);
    const enqueued = await run(["enqueue", DEMO_MANIFEST, "--batch", "s1", "--budget", "5"]);
    expect(enqueued.code).toBe(0);
    expect(enqueued.stdout).toContain(`estimate: ${DEMO_ITEMS} tasks`);
    expect(enqueued.stdout).toContain("budget: 5.00 USD");
    expect(enqueued.stderr).toContain(
      `warning: the budget 5.00 USD is below the batch's estimate ${cost.toFixed(2)} USD: the batch pauses by its budget before every item is created`,
    );
    const again = JSON.parse(
      (await run(["enqueue", DEMO_MANIFEST, "--batch", "s1", "--budget", "5", "--json"])).stdout,
    );
    expect(again).toMatchObject({
      budget: { amount: 5, currency: "USD" },
      budget_below_estimate: true,
      estimate: { cost: estimate.cost },
    });
    const stored = (await status()).spend;
    expect(stored).toMatchObject({
      estimate: estimate.cost,
      budget: { amount: 5, currency: "USD" },
      spent: { amount: 0, currency: "USD" },
    });
    // The shipped price table is in use: its money says so, in JSON and in text.
    expect(stored.prices.unverified).toBe(true);
    expect((await run(["status", "s1"])).stdout).toContain("!! prices unverified");

    expect((await run(["pause", "s1"])).stdout).toContain("batch s1 paused");
    expect((await run(["pause", "s1"])).stdout).toContain("already paused");
    expect((await status()).control).toMatchObject({ state: "paused", reason: "user" });
    expect((await run(["status", "s1"])).stdout).toContain("PAUSED");
    expect((await run(["resume", "s1"])).stdout).toContain("batch s1 resumed");
    expect((await run(["resume", "s1"])).stdout).toContain("was not paused");
    expect((await status()).control.state).toBe("running");

    // A budget that what was spent already reaches pauses the batch, and says so.
    const zero = await run(["budget", "s1", "0"]);
    expect(zero.stdout).toContain(
      "batch s1: budget 0.00 USD, spent 0.00 USD; spent 0.00 USD already reaches it: the batch is paused by its budget",
    );
    expect((await status()).control).toMatchObject({ state: "paused", reason: "budget" });
    const raised = await run(["budget", "s1", "20"]);
    expect(raised.stdout).toContain("budget 20.00 USD");
    expect(raised.stdout).toContain("the budget pause is lifted");
    const raisedStatus = await status();
    expect(raisedStatus.spend.budget).toEqual({ amount: 20, currency: "USD" });
    expect(raisedStatus.control.state).toBe("running");
    expect((await run(["budget", "s1", "-3"])).code).toBe(2);

    const cancel = await run(["cancel", "s1"]);
    expect(cancel.stdout).toContain(`${DEMO_ITEMS} queued items cancelled now`);
    expect((await run(["cancel", "s1"])).stdout).toContain("was already cancelled");
    const after = await status();
    expect(after.control.state).toBe("finished"); // every item is final
    expect(after.counts.cancelled).toBe(DEMO_ITEMS);
    expect(after.finished).toBe(true);

    // Cancelled items never failed: --include-permanent (about failures) does not apply to them.
    const mixed = await run(["retry", "s1", "--cancelled", "--include-permanent"]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain("--include-permanent is about failed items");
    // Items never created pay for their create when they run: the cost is shown, and off a
    // terminal nothing happens without --yes.
    const unagreed = await run(["retry", "s1", "--cancelled"]);
    expect(unagreed.code).toBe(2);
    expect(unagreed.stdout).toContain(
      `batch s1: ${DEMO_ITEMS} cancelled items; retry --cancelled will`,
    );
    expect(unagreed.stdout).toMatch(
      new RegExp(
        `submit +${DEMO_ITEMS} +paid when they run: never created \\(.*estimated ${cost.toFixed(2)} USD\\)`,
      ),
    );
    expect(unagreed.stderr).toContain("run it again with --yes to agree; nothing was re-queued");
    expect((await status()).control.state).toBe("finished");
    const reopened = await run(["retry", "s1", "--cancelled", "--yes", "--json"]);
    expect(reopened.code).toBe(0);
    expect(JSON.parse(reopened.stdout)).toMatchObject({
      outcome: "retried",
      retried: DEMO_ITEMS,
      skipped: [],
      plan: {
        cancelled: DEMO_ITEMS,
        submit: DEMO_ITEMS,
        refollow: 0,
        estimated_cost: estimate.cost,
      },
    });
    const reopenedStatus = await status();
    expect(reopenedStatus.control.state).toBe("running");
    expect(reopenedStatus.counts).toMatchObject({ cancelled: 0, queued: DEMO_ITEMS });

    // Registered paused: nothing can be created before `veoq resume`.
    const paused = await run(["enqueue", DEMO_MANIFEST, "--batch", "s2", "--paused"]);
    expect(paused.code).toBe(0);
    expect(paused.stdout).toContain(
      "the batch is paused: nothing is created until `veoq resume s2`",
    );
    const s2 = JSON.parse((await run(["status", "s2", "--json"])).stdout) as {
      batches: { control: { state: string; reason?: string } }[];
    };
    expect(s2.batches[0]?.control).toMatchObject({ state: "paused", reason: "user" });

    const unknown = await run(["pause", "nope"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no batch "nope"');
  }, 240_000); // about 25 CLI starts, each several seconds on a loaded 2-core machine
});
