import type { RecordKeys, RedisConnection } from "@veoq/pipeline";
import { endpointKey } from "./delivery-queue.ts";

/**
 * Endpoints that answered 410 Gone: nothing more is sent to them, for any batch, until a
 * replay to that endpoint (`POST /v1/webhooks/{delivery_id}/replay`) enables it again. A hash
 * under the prefix's tag: endpoint key -> JSON {origin, at, delivery_id} (never the full URL,
 * whose query may hold a token).
 */
export class DisabledEndpoints {
  private readonly redis: RedisConnection;
  private readonly key: string;

  constructor(redis: RedisConnection, keys: RecordKeys) {
    this.redis = redis;
    this.key = keys.webhookDisabledEndpoints;
  }

  async disable(url: string, deliveryId: string, at: number): Promise<void> {
    await this.redis.hset(
      this.key,
      endpointKey(url),
      JSON.stringify({ origin: new URL(url).origin, at, delivery_id: deliveryId }),
    );
  }

  async isDisabled(url: string): Promise<boolean> {
    return (await this.redis.hexists(this.key, endpointKey(url))) === 1;
  }

  /** True when it was disabled. */
  async enable(url: string): Promise<boolean> {
    return (await this.redis.hdel(this.key, endpointKey(url))) === 1;
  }
}
