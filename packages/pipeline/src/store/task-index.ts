import type { RedisConnection } from "./connection/redis-connection.ts";
import { type ItemRef, itemRef, parseItemRef, type RecordKeys } from "./keys.ts";

/** Which item each provider task belongs to, for search by task id (RecordKeys.taskIndex). */
export class TaskIndex {
  readonly redis: RedisConnection;
  readonly keys: RecordKeys;

  constructor(redis: RedisConnection, keys: RecordKeys) {
    this.redis = redis;
    this.keys = keys;
  }

  /** Remembers which item a provider task belongs to (search by task id). */
  async indexTask(taskId: string, batchId: string, customId: string): Promise<void> {
    await this.redis.hset(this.keys.taskIndex, taskId, itemRef({ batchId, customId }));
  }

  /** The item a provider task belongs to. */
  async findTask(taskId: string): Promise<ItemRef | undefined> {
    const value = await this.redis.hget(this.keys.taskIndex, taskId);
    if (value === null) return undefined;
    return parseItemRef(value);
  }
}
