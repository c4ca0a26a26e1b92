import type { QueueRole } from "../jobs/queue-names.ts";
import type { RedisConnection } from "../store/connection/redis-connection.ts";
import { readProviderSlots } from "../store/provider-slots.ts";
import { liveRolesOf, type WorkerRecord, WorkerRegistry } from "../store/worker-registry.ts";

/** Who can move work now: the live worker processes and the provider slots (for waitingReasonOf). */
export interface WorkCapacity {
  workers: WorkerRecord[];
  liveRoles: Set<QueueRole>;
  slots: { inUse: number; cap: number; paceUntil: number } | undefined;
}

/** Reads the heartbeat records and the provider slots (`veoq status`, the dashboard). */
export async function readWorkCapacity(
  redis: RedisConnection,
  prefix: string,
): Promise<WorkCapacity> {
  const [workers, slots] = await Promise.all([
    new WorkerRegistry(redis, prefix).list(),
    readProviderSlots(redis, prefix),
  ]);
  return {
    workers,
    liveRoles: liveRolesOf(workers),
    slots: slots.accounts > 0 ? slots : undefined,
  };
}
