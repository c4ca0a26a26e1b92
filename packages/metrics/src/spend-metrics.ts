import {
  BatchControl,
  BatchStore,
  PAUSE_REASONS,
  type RedisConnection,
  SpendLedger,
} from "@veoq/pipeline";
import { Gauge, type Registry } from "prom-client";
import { withTimeout } from "./with-timeout.ts";

/** Batches looked at for pauses (the newest), so a scrape stays bounded. */
const MAX_BATCHES = 1000;

/**
 * Gauges read on scrape: `veoq_spend_reserved` (money reserved by creates under way, in the price
 * table's currency) and `veoq_batches_paused{reason}` (user, budget, daily_budget) and
 * `veoq_batches_cancelled`, over the newest batches. A Redis that does not answer in time leaves
 * them out of the scrape (see `veoq_redis_up`).
 */
export function registerSpendMetrics(
  registry: Registry,
  redis: RedisConnection,
  prefix: string,
  options: { timeoutMs?: number } = {},
): void {
  const timeoutMs = options.timeoutMs ?? 2000;
  const ledger = new SpendLedger(redis, prefix);
  const control = new BatchControl(redis, prefix);
  const store = new BatchStore(redis, prefix);
  const registers = [registry];
  new Gauge({
    name: "veoq_spend_reserved",
    help: "Money reserved by creates under way across batches, in the price table's currency",
    registers,
    async collect() {
      this.reset();
      const micros = await withTimeout(ledger.reservedTotal(), timeoutMs).catch(() => undefined);
      if (micros !== undefined) this.set(micros / 1_000_000);
    },
  });
  new Gauge({
    name: "veoq_batches_paused",
    help: "Batches paused, by reason (user: veoq pause; budget; daily_budget: VEOQ_DAILY_BUDGET)",
    labelNames: ["reason"],
    registers,
    async collect() {
      this.reset();
      const states = await withTimeout(readStates(store, control), timeoutMs).catch(
        () => undefined,
      );
      if (states === undefined) return;
      for (const reason of PAUSE_REASONS) {
        this.set(
          { reason },
          states.filter((s) => s.state === "paused" && s.reason === reason).length,
        );
      }
    },
  });
  new Gauge({
    name: "veoq_batches_cancelled",
    help: "Batches cancelled by veoq cancel",
    registers,
    async collect() {
      this.reset();
      const states = await withTimeout(readStates(store, control), timeoutMs).catch(
        () => undefined,
      );
      if (states !== undefined) this.set(states.filter((s) => s.state === "cancelled").length);
    },
  });
}

async function readStates(store: BatchStore, control: BatchControl) {
  return control.readMany(await store.listBatchIds(MAX_BATCHES));
}
