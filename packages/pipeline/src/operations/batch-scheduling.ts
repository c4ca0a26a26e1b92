import type { BatchStore } from "../store/batch-store.ts";
import type { PriorityLevel } from "../store/fair-share.ts";
import { submissionOfSlotHolder } from "../store/keys.ts";
import { providerAccounts } from "../store/provider-slots.ts";

/** A batch's place in the scheduling of provider slots, for `veoq status` and the dashboard. */
export interface BatchScheduling {
  priority: PriorityLevel;
  /** Provider slots its tasks hold now (every account). */
  slots: number;
  /** Its part of all the slots held now, 0-1 (0 when none are held). */
  slotShare: number;
}

/** Priority and slot share of each batch asked for. */
export async function batchSchedulingOf(
  store: BatchStore,
  batchIds: readonly string[],
): Promise<Map<string, BatchScheduling>> {
  const { fairShare } = store;
  const [levels, held] = await Promise.all([
    fairShare.levelsOf(batchIds),
    slotsHeldPerBatch(store),
  ]);
  const total = [...held.values()].reduce((a, b) => a + b, 0);
  const scheduling = new Map<string, BatchScheduling>();
  batchIds.forEach((batchId, i) => {
    const slots = held.get(batchId) ?? 0;
    scheduling.set(batchId, {
      priority: levels[i] ?? "normal",
      slots,
      slotShare: total === 0 ? 0 : slots / total,
    });
  });
  return scheduling;
}

/**
 * Slot holders per batch over every account (a holder names its batch): bounded by the slots
 * held, whatever the batches' length.
 */
async function slotsHeldPerBatch(store: BatchStore): Promise<Map<string, number>> {
  const held = new Map<string, number>();
  for (const account of await providerAccounts(store.redis, store.prefix)) {
    const holders = await store.redis.zrange(store.keys.providerSlots(account), 0, -1);
    for (const holder of holders) {
      const batchId = submissionOfSlotHolder(holder)?.batchId;
      if (batchId !== undefined) held.set(batchId, (held.get(batchId) ?? 0) + 1);
    }
  }
  return held;
}
