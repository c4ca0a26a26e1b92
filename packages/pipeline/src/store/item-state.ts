/**
 * Where an item is in the pipeline, as shown by `veoq status`. States only move forward (by
 * rank) unless a transition is forced, so a step that runs again after a crash or a stall cannot
 * drag an item back to an earlier state.
 */
export const ITEM_STATES = [
  "queued",
  "processing",
  "downloading",
  "completed",
  "failed",
  "cancelled",
] as const;
export type ItemState = (typeof ITEM_STATES)[number];

export const ITEM_STATE_RANK: Readonly<Record<ItemState, number>> = {
  queued: 0,
  processing: 1,
  downloading: 2,
  completed: 3,
  failed: 3,
  /** `veoq cancel`: the item was never created (or, with --drop-in-flight, no longer followed). */
  cancelled: 3,
};

export function isFinalState(state: ItemState): boolean {
  return state === "completed" || state === "failed" || state === "cancelled";
}
