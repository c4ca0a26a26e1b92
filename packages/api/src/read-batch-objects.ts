import type { BatchObjectJson } from "@veoq/api-schemas";
import {
  type BatchControlState,
  type BatchSpend,
  batchSchedulingOf,
  overviewOf,
} from "@veoq/pipeline";
import { fromMicros } from "@veoq/pricing";
import { toBatchJson } from "@veoq/report";
import type { ApiContext } from "./api-context.ts";

/**
 * Batches in the API's shape: `veoq status --json`'s batch (report's toBatchJson, with priority
 * and provider slots) and its control and spend. Unknown ids are left out.
 */
export async function readBatchObjects(
  context: ApiContext,
  ids: readonly string[],
): Promise<BatchObjectJson[]> {
  const now = context.now();
  const [records, controls, spends, scheduling] = await Promise.all([
    Promise.all(ids.map((id) => context.store.getBatch(id))),
    context.control.readMany(ids),
    context.spend.readMany(ids),
    batchSchedulingOf(context.store, ids),
  ]);
  return ids.flatMap((id, i) => {
    const record = records[i];
    const control = controls[i];
    const spend = spends[i];
    if (record === undefined || control === undefined || spend === undefined) return [];
    const batch = toBatchJson(overviewOf(record, now));
    const entry = scheduling.get(id);
    if (entry !== undefined) {
      batch.priority = entry.priority;
      batch.provider_slots = entry.slots;
      batch.slot_share = entry.slotShare;
    }
    return [
      {
        ...batch,
        control: controlToJson(control),
        spend: spendToJson(spend, context.prices.currency),
      },
    ];
  });
}

/** One batch, or undefined when there is none of that id. */
export async function readBatchObject(
  context: ApiContext,
  id: string,
): Promise<BatchObjectJson | undefined> {
  return (await readBatchObjects(context, [id]))[0];
}

function controlToJson(control: BatchControlState): BatchObjectJson["control"] {
  return {
    state: control.state,
    reason: control.state === "paused" ? control.reason : null,
    at: control.state === "running" ? null : new Date(control.at).toISOString(),
    drop_in_flight: control.state === "cancelled" && control.dropInFlight,
  };
}

/** The same fields as `veoq status --json`'s spend (apps/cli batch-spend-text.ts). */
function spendToJson(spend: BatchSpend, currency: string): BatchObjectJson["spend"] {
  return {
    currency: spend.currency ?? currency,
    estimate: fromMicros(spend.estimateMicros),
    estimate_tasks: spend.estimateTasks,
    estimate_video_seconds: spend.estimateSeconds,
    spent: fromMicros(spend.spentMicros),
    reserved: fromMicros(spend.reservedMicros),
    budget: spend.budgetMicros === undefined ? null : fromMicros(spend.budgetMicros),
  };
}
