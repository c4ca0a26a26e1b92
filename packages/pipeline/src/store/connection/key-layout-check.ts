import { QUEUE_NAMES, queuePrefix } from "../../jobs/queue-names.ts";
import { previousLayoutBatchKey, recordKeys } from "../keys.ts";
import type { RedisConnection } from "./redis-connection.ts";

/** How many of the newest batches the start-up check looks at for records of the old layout. */
const BATCHES_SAMPLED = 20;

/** Where the README says how to move a Redis from the previous key layout. */
export const KEY_LAYOUT_README = 'README.md, section "Moving from the single-slot key layout"';

/**
 * The one-line problem when Redis still holds batch records of the layout before keys were
 * spread (every record under the prefix's one hash tag, `<prefix>:batch:<id>`), or undefined. The
 * current version would not see those batches' items (it reads `{<prefix>:b:<id>}:...`), so
 * the process must stop rather than split the deployment into two worlds. It looks at the
 * newest batches of the batch list, whose key is the same in both layouts; all reads are
 * single-key, so this works on a cluster as well.
 */
export async function previousKeyLayoutProblem(
  redis: RedisConnection,
  prefix: string,
): Promise<string | undefined> {
  for (const role of ["poll", "download"] as const) {
    const old = `${prefix}:${QUEUE_NAMES[role]}:meta`;
    if ((await redis.exists(old)) === 1) {
      return `Redis holds the ${role} queue in the previous key layout (key ${old}); this version keeps it under ${queuePrefix(prefix, role)} and would not see its jobs: finish or drain old batches with the previous veoq version first, see ${KEY_LAYOUT_README}`;
    }
  }
  const ids = await redis.zrevrange(recordKeys(prefix).batches, 0, BATCHES_SAMPLED - 1);
  for (const id of ids) {
    const old = previousLayoutBatchKey(prefix, id);
    if ((await redis.exists(old)) === 1) {
      return `Redis holds batch ${JSON.stringify(id)} in the previous key layout (key ${old}); this version keeps batch records under per-batch hash tags and would not see it: finish or drain old batches with the previous veoq version first, see ${KEY_LAYOUT_README}`;
    }
  }
  return undefined;
}
