import { type BatchStore, ITEM_STATES, type SpendLedger } from "@veoq/pipeline";
import type { Gauge } from "prom-client";
import { defineRedisGauges, redisGaugeSet } from "./redis-gauges.ts";

/** Batches looked at per scrape (the newest); only the open ones among them are exported. */
const MAX_BATCHES = 100;

interface OpenBatch {
  id: string;
  counts: Record<string, number>;
  spentMicros: number;
  estimateMicros: number;
  budgetMicros: number | undefined;
}

/**
 * Per-batch gauges, read on scrape, for the open batches among the newest 100 (a finished batch
 * drops out, which bounds the series): `veoq_batch_items{batch,state}` (items per state),
 * `veoq_batch_spent{batch}`, `veoq_batch_estimate{batch}` and `veoq_batch_budget{batch}` (money
 * in the price table's currency; no budget series without a budget). They let an alert see a
 * batch that stopped progressing and a dashboard show spend against budget per batch.
 */
export const registerBatchMetrics = defineRedisGauges((store) => {
  const ledger = store.spend;
  const money = (name: string, help: string, pick: (b: OpenBatch) => number | undefined) => ({
    name,
    help,
    labelNames: ["batch"],
    set(gauge: Gauge<string>, open: OpenBatch[]) {
      for (const batch of open) {
        const micros = pick(batch);
        if (micros !== undefined) gauge.set({ batch: batch.id }, micros / 1_000_000);
      }
    },
  });
  return [
    redisGaugeSet(
      () => readOpenBatches(store, ledger),
      [
        {
          name: "veoq_batch_items",
          help: "Items of each open batch per state (queued, processing, downloading, completed, failed, cancelled)",
          labelNames: ["batch", "state"],
          set(gauge, open) {
            for (const batch of open) {
              for (const state of ITEM_STATES)
                gauge.set({ batch: batch.id, state }, batch.counts[state] ?? 0);
            }
          },
        },
        money(
          "veoq_batch_spent",
          "Money spent on creates of each open batch",
          (b) => b.spentMicros,
        ),
        money(
          "veoq_batch_estimate",
          "Estimated cost of each open batch's items",
          (b) => b.estimateMicros,
        ),
        money("veoq_batch_budget", "Budget of each open batch that has one", (b) => b.budgetMicros),
      ],
    ),
  ];
});

async function readOpenBatches(store: BatchStore, ledger: SpendLedger): Promise<OpenBatch[]> {
  const ids = await store.listBatchIds(MAX_BATCHES);
  const [records, spends] = await Promise.all([
    Promise.all(ids.map((id) => store.getBatch(id))),
    ledger.readMany(ids),
  ]);
  const open: OpenBatch[] = [];
  ids.forEach((id, i) => {
    const record = records[i];
    const spend = spends[i];
    if (record === undefined || spend === undefined) return;
    const counts = record.counts as Record<string, number>;
    const done = (counts.completed ?? 0) + (counts.failed ?? 0) + (counts.cancelled ?? 0);
    if (record.total > 0 && done >= record.total) return;
    open.push({
      id,
      counts,
      spentMicros: spend.spentMicros,
      estimateMicros: spend.estimateMicros,
      budgetMicros: spend.budgetMicros,
    });
  });
  return open;
}
