import type { BatchObjectJson } from "@veoq/api-schemas";
import {
  type BatchControlState,
  batchSchedulingOf,
  batchStateOf,
  credentialsStopReason,
  credentialsStopTimes,
  overviewOf,
} from "@veoq/pipeline";
import { toBatchJson, toBatchSpendJson } from "@veoq/report";
import type { ApiContext } from "./api-context.ts";

/**
 * Batches in the API's shape: `veoq status --json`'s batch (report's toBatchJson, with priority,
 * provider slots and `state` from pipeline's batchStateOf) and its control and spend (report's
 * toBatchSpendJson, as status). Unknown ids are left out.
 */
export async function readBatchObjects(
  context: ApiContext,
  ids: readonly string[],
): Promise<BatchObjectJson[]> {
  const now = context.now();
  const [records, controls, spends, scheduling, credentialsStop, stops] = await Promise.all([
    Promise.all(ids.map((id) => context.store.getBatch(id))),
    context.control.readMany(ids),
    context.spend.readMany(ids),
    batchSchedulingOf(context.store, ids),
    credentialsStopReason(context.store),
    credentialsStopTimes(context.store),
  ]);
  return ids.flatMap((id, i) => {
    const record = records[i];
    const control = controls[i];
    const spend = spends[i];
    if (record === undefined || control === undefined || spend === undefined) return [];
    const batch = toBatchJson(overviewOf(record, now, control, stops));
    const entry = scheduling.get(id);
    if (entry !== undefined) {
      batch.priority = entry.priority;
      batch.provider_slots = entry.slots;
      batch.slot_share = entry.slotShare;
    }
    const state = batchStateOf({ finished: batch.finished, control, credentialsStop });
    return [
      {
        ...batch,
        state,
        // A paused, stopped or cancelled batch has no ETA (as `veoq status`).
        eta_seconds: state === "running" ? batch.eta_seconds : null,
        control: controlToJson(control, batch.finished),
        spend: toBatchSpendJson(spend, context.prices),
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

function controlToJson(control: BatchControlState, finished: boolean): BatchObjectJson["control"] {
  if (finished) return { state: "finished", reason: null, at: null, drop_in_flight: false };
  return {
    state: control.state,
    reason: control.state === "paused" ? control.reason : null,
    at: control.state === "running" ? null : new Date(control.at).toISOString(),
    drop_in_flight: control.state === "cancelled" && control.dropInFlight,
  };
}
