import type { VeoqConfig } from "@veoq/config";
import { BatchControl, type LifecycleContext, SpendLedger } from "@veoq/pipeline";
import type { QueueSession } from "./queue-session.ts";

/** What `pause`, `resume`, `cancel` and `budget` act on, over a producer session. */
export function lifecycleOf(session: QueueSession, config: VeoqConfig): LifecycleContext {
  return {
    store: session.store,
    queues: session.queues,
    control: new BatchControl(session.redis, config.prefix),
    spend: new SpendLedger(session.redis, config.prefix),
  };
}
