import { loadPriceTable, requestCost } from "@veoq/pricing";
import { afterEach, describe, expect, it } from "vitest";
import { enqueueManifest, retryFailedItems, SpendLedger } from "../src/index.ts";
import { createHarness, type Harness, liteLine } from "./pipeline-harness.ts";

const prices = loadPriceTable(undefined);
const INPUT = { duration: 4 };
const TASK_COST = requestCost(
  prices,
  "veo-3.1-lite-firstlastframe",
  liteLine("x", INPUT).input,
).costMicros;

describe("what spent is made of", () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it("splits spent into first creates and re-submits by reason (task failed, veoq retry), and the parts add up to spent", async () => {
    h = await createHarness();
    const ledger = new SpendLedger(h.redis, h.config.prefix);
    const manifest = await h.writeManifest([
      liteLine("plain", INPUT),
      liteLine("flaky", { ...INPUT, prompt: "flaky render [sim:fail-once]" }),
      liteLine("doomed", { ...INPUT, prompt: "doomed render [sim:fail]" }),
    ]);
    await enqueueManifest({
      manifestPath: manifest,
      batchId: "b1",
      queues: h.queues,
      store: h.store,
      submitAttempts: h.config.submitAttempts,
      spend: { prices, ledger, budgetMicros: undefined },
    });
    await h.start();
    await h.waitForBatch("b1");
    // The permanent failure, re-submitted by `veoq retry --include-permanent` (paid, fails again).
    const summary = await retryFailedItems(h.store, h.queues, "b1", {
      submitAttempts: h.config.submitAttempts,
      includePermanent: true,
      maxResubmits: 1,
    });
    expect(summary.retried).toBe(1);
    await h.waitFor(
      async () =>
        (await h.store.getBatch("b1"))?.counts.failed === 1 &&
        (await ledger.read("b1")).split.resubmits.retry.creates === 1,
      "the retried item to fail again",
    );
    await h.waitForBatch("b1");
    const spend = await ledger.read("b1");
    expect(spend.split).toEqual({
      first: { creates: 3, micros: 3 * TASK_COST },
      resubmits: {
        task_failed: { creates: 1, micros: TASK_COST },
        retry: { creates: 1, micros: TASK_COST },
      },
      unanswered: { creates: 0, micros: 0 },
    });
    expect(spend.spentMicros).toBe(5 * TASK_COST);
    expect(spend.estimateMicros).toBe(3 * TASK_COST);
    expect(h.simulator.stats().creates.accepted).toBe(5);
  });
});
