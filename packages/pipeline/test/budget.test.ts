import { loadPriceTable, requestCost } from "@veoq/pricing";
import { afterEach, describe, expect, it } from "vitest";
import {
  BatchControl,
  enqueueManifest,
  reconcileSpendReservations,
  SpendLedger,
  setBatchBudget,
  slotHolder,
} from "../src/index.ts";
import { createHarness, type Harness, liteLine } from "./pipeline-harness.ts";

const prices = loadPriceTable(undefined);
/** One 4 s Lite task at 720p without audio, from the shipped table. */
const LINE_INPUT = { duration: 4 };
const TASK_COST = requestCost(prices, "veo-3.1-lite-firstlastframe", {
  ...liteLine("x", LINE_INPUT).input,
}).costMicros;

async function enqueueWithBudget(h: Harness, count: number, budgetMicros: number | undefined) {
  const ledger = new SpendLedger(h.redis, h.config.prefix);
  const manifest = await h.writeManifest(
    Array.from({ length: count }, (_, i) => liteLine(`i${i}`, LINE_INPUT)),
  );
  const summary = await enqueueManifest({
    manifestPath: manifest,
    batchId: "b1",
    queues: h.queues,
    store: h.store,
    submitAttempts: h.config.submitAttempts,
    spend: { prices, ledger, budgetMicros },
  });
  return { ledger, summary };
}

describe("budgets", () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it("stops spend within one task's cost of the budget with several workers racing, then goes on after `veoq budget`", async () => {
    h = await createHarness({ simulator: { latencyMs: { min: 5, max: 20 } } });
    const budget = 7 * TASK_COST + TASK_COST / 2; // room for 7.5 tasks
    const { ledger, summary } = await enqueueWithBudget(h, 30, budget);
    expect(summary.estimate?.costMicros).toBe(30 * TASK_COST);
    expect((await ledger.read("b1")).estimateMicros).toBe(30 * TASK_COST);
    for (let i = 0; i < 3; i++) await h.start({ concurrency: { submit: 4 } });
    const control = new BatchControl(h.redis, h.config.prefix);

    await h.waitFor(async () => {
      const [state, spend, batch] = await Promise.all([
        control.read("b1"),
        ledger.read("b1"),
        h.store.getBatch("b1"),
      ]);
      return (
        state.state === "paused" &&
        state.reason === "budget" &&
        spend.reservedMicros === 0 &&
        batch !== undefined &&
        batch.counts.processing + batch.counts.downloading === 0
      );
    }, "the budget stop");
    const spend = await ledger.read("b1");
    expect(spend.spentMicros).toBeLessThanOrEqual(budget);
    expect(spend.spentMicros).toBeGreaterThan(budget - TASK_COST);
    expect(h.simulator.stats().creates.accepted).toBe(spend.spentMicros / TASK_COST);
    const batch = await h.store.getBatch("b1");
    expect(batch?.counts.failed).toBe(0);
    expect(batch?.counts.queued).toBe(30 - 7);

    const { resumed } = await setBatchBudget(
      { store: h.store, queues: h.queues, control, spend: ledger },
      "b1",
      100 * TASK_COST,
    );
    expect(resumed).toBe(true);
    await h.waitForBatch("b1", 30_000);
    expect((await h.store.getBatch("b1"))?.counts.completed).toBe(30);
    expect((await ledger.read("b1")).spentMicros).toBe(30 * TASK_COST);
  });

  it("leaks nothing when a worker dies between reservation and create, after reconciliation", async () => {
    h = await createHarness();
    const { ledger } = await enqueueWithBudget(h, 1, 10 * TASK_COST);
    // A worker reserved for item i0 and died before its create; another reserved for an item
    // whose job is gone.
    const now = Date.now();
    expect(await ledger.gate("b1", slotHolder("b1", "i0", 0), TASK_COST, undefined, now)).toBe(
      "go",
    );
    expect(await ledger.gate("b1", slotHolder("b1", "gone", 0), TASK_COST, undefined, now)).toBe(
      "go",
    );
    expect((await ledger.read("b1")).reservedMicros).toBe(2 * TASK_COST);

    const running = await h.start();
    await h.waitForBatch("b1");
    expect(await reconcileSpendReservations(running.context, 0)).toBe(1);
    const spend = await ledger.read("b1");
    expect(spend.reservedMicros).toBe(0);
    // One task, paid once: the retried submit reused its reservation.
    expect(spend.spentMicros).toBe(TASK_COST);
    expect(h.simulator.stats().creates.accepted).toBe(1);
    expect(await ledger.holdersBefore(Date.now() + 1)).toEqual([]);
  });

  it("releases the reservation of a create the provider refused (402)", async () => {
    h = await createHarness({ simulator: { exhaustedKeys: ["sim-key"] } });
    const { ledger } = await enqueueWithBudget(h, 1, 10 * TASK_COST);
    await h.start();
    await h.waitFor(
      async () => (await h.redis.get(h.store.keys.credentialsStop)) !== null,
      "the credentials stop",
    );
    await h.waitFor(
      async () => (await ledger.read("b1")).reservedMicros === 0,
      "the reservation to be released",
    );
    expect(await ledger.read("b1")).toMatchObject({ spentMicros: 0, reservedMicros: 0 });
    expect((await h.store.getBatch("b1"))?.counts.queued).toBe(1);
  });

  it("a budget lowered below spent pauses the batch (and says so); a re-enqueue with a higher --budget lifts the pause at once", async () => {
    h = await createHarness();
    const budget = 3 * TASK_COST + TASK_COST / 2;
    const { ledger } = await enqueueWithBudget(h, 8, budget);
    await h.start();
    const control = new BatchControl(h.redis, h.config.prefix);
    const life = { store: h.store, queues: h.queues, control, spend: ledger };
    await h.waitFor(async () => {
      const state = await control.read("b1");
      return state.state === "paused" && (await ledger.read("b1")).reservedMicros === 0;
    }, "the budget stop");
    expect((await ledger.read("b1")).spentMicros).toBe(3 * TASK_COST);

    // Lowered below what was spent: the pause stays, and the answer says the batch is paused.
    const lowered = await setBatchBudget(life, "b1", TASK_COST);
    expect(lowered).toMatchObject({ resumed: false, pausedByBudget: true });
    expect(await control.read("b1")).toMatchObject({ state: "paused", reason: "budget" });

    // The same manifest again with a higher budget: nothing added, the pause lifted at once.
    const again = await enqueueWithBudget(h, 8, 100 * TASK_COST);
    expect(again.summary.added).toBe(0);
    expect(again.summary.budget).toMatchObject({ resumed: true, pausedByBudget: false });
    expect((await control.read("b1")).state).toBe("running");
    await h.waitForBatch("b1", 30_000);
    expect((await h.store.getBatch("b1"))?.counts.completed).toBe(8);
    expect((await ledger.read("b1")).spentMicros).toBe(8 * TASK_COST);
  });

  it("a running batch whose budget is set at or below what it spent is paused by its budget at once", async () => {
    h = await createHarness();
    const { ledger } = await enqueueWithBudget(h, 4, undefined);
    const control = new BatchControl(h.redis, h.config.prefix);
    // One create's worth already booked (as after a run), none of the 4 items created yet.
    await ledger.gate("b1", slotHolder("b1", "earlier", 0), TASK_COST, undefined, Date.now());
    await ledger.settle("b1", slotHolder("b1", "earlier", 0), "first");
    const change = await setBatchBudget(
      { store: h.store, queues: h.queues, control, spend: ledger },
      "b1",
      TASK_COST,
    );
    expect(change).toMatchObject({ resumed: false, pausedByBudget: true, spentMicros: TASK_COST });
    expect(await control.read("b1")).toMatchObject({ state: "paused", reason: "budget" });
  });

  it("books no 5xx answer to a create as spent: spent is what the tasks made cost", async () => {
    h = await createHarness({ simulator: { serverErrorRate: 0.4, seed: 11 } });
    const { ledger } = await enqueueWithBudget(h, 8, 100 * TASK_COST);
    await h.start();
    await h.waitForBatch("b1", 60_000);
    const stats = h.simulator.stats();
    const errors =
      (stats.responses["500"] ?? 0) + (stats.responses["502"] ?? 0) + (stats.responses["503"] ?? 0);
    expect(errors).toBeGreaterThan(0);
    expect((await h.store.getBatch("b1"))?.counts.completed).toBe(8);
    expect(stats.creates.accepted).toBe(8);
    expect(await ledger.read("b1")).toMatchObject({
      spentMicros: 8 * TASK_COST,
      reservedMicros: 0,
    });
  });

  it("counts a create answered but never recorded (the crash window) as a possible duplicate and books it as spent", async () => {
    h = await createHarness();
    const { ledger } = await enqueueWithBudget(h, 1, 100 * TASK_COST);
    let crashed = false;
    const doomed = await h.start({
      roles: ["submit"],
      hooks: {
        afterCreateAnswered: async () => {
          if (!crashed) {
            crashed = true;
            await new Promise(() => {}); // the worker "dies" between the answer and the record
          }
        },
      },
    });
    await h.waitFor(async () => crashed, "the first create");
    await doomed.close(1); // the job stays active with a lock nobody renews
    await h.start();
    await h.waitForBatch("b1", 30_000);
    const batch = await h.store.getBatch("b1");
    expect(batch?.counts.completed).toBe(1);
    // Two tasks made for one item: both booked, the first counted as a possible duplicate.
    expect(h.simulator.stats().creates.accepted).toBe(2);
    expect(batch?.possibleDuplicates).toBe(1);
    expect(await ledger.read("b1")).toMatchObject({
      spentMicros: 2 * TASK_COST,
      reservedMicros: 0,
      // Spent as the unanswered create (a possible duplicate) and the first create that followed.
      split: {
        first: { creates: 1, micros: TASK_COST },
        unanswered: { creates: 1, micros: TASK_COST },
      },
    });
  });
});
