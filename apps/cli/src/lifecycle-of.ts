import type { LifecycleContext } from "@veoq/pipeline";
import type { QueueSession } from "./queue-session.ts";

/** What `pause`, `resume`, `cancel` and `budget` act on, over a producer session. */
export function lifecycleOf(session: QueueSession): LifecycleContext {
  return {
    store: session.store,
    queues: session.queues,
    control: session.store.control,
    spend: session.store.spend,
  };
}
