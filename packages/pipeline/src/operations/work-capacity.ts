import type { BatchStore } from "../store/batch-store.ts";
import type { QueueRole } from "../store/keys.ts";
import { readProviderSlots } from "../store/provider-slots.ts";
import { liveKeysOf, liveRolesOf, type WorkerRecord } from "../store/worker-registry.ts";

/** Who can move work now: the live worker processes and the provider slots (for waitingReasonOf). */
export interface WorkCapacity {
  workers: WorkerRecord[];
  liveRoles: Set<QueueRole>;
  /** Per role, the API key names its live workers hold (store/worker-registry.ts liveKeysOf). */
  liveKeys: Map<QueueRole, Set<string>>;
  slots: { inUse: number; cap: number; paceUntil: number } | undefined;
}

/** Reads the heartbeat records and the provider slots (`veoq status`, the dashboard). */
export async function readWorkCapacity(store: BatchStore): Promise<WorkCapacity> {
  const [workers, slots] = await Promise.all([
    store.workers.list(),
    readProviderSlots(store.redis, store.prefix),
  ]);
  return {
    workers,
    liveRoles: liveRolesOf(workers),
    liveKeys: liveKeysOf(workers),
    slots: slots.accounts > 0 ? slots : undefined,
  };
}
