import type { RedisConnection } from "./connection/redis-connection.ts";
import { type ItemState, isFinalState } from "./item-state.ts";
import { itemRef, parseItemRef, type RecordKeys, recordKeys } from "./keys.ts";
import { LuaScript } from "./lua-script.ts";

/** The item that renders a request: its batch and custom id. */
export interface RequestOwner {
  batchId: string;
  customId: string;
}

/**
 * Takes each request for its owner unless another item has it. ARGV is request, owner, request,
 * owner, ...; returns the owner each request has now.
 */
const CLAIM_SCRIPT = new LuaScript(`
local held = {}
for i = 1, #ARGV, 2 do
  redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1])
  held[#held + 1] = redis.call('HGET', KEYS[1], ARGV[i])
end
return held
`);

/** Hands the request from ARGV[2] to ARGV[3], only if ARGV[2] still has it. */
const TAKE_OVER_SCRIPT = new LuaScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
  return 1
end
return 0
`);

/**
 * Which item renders each distinct request (fingerprint) in this deployment: the first item to
 * reach its create claims it, and later items with the same request reuse that item's outputs
 * (stages/request-reuse.ts). Claims are atomic, so two workers never both pay for one request.
 */
export class RequestIndex {
  readonly redis: RedisConnection;
  readonly keys: RecordKeys;

  constructor(redis: RedisConnection, prefix: string) {
    this.redis = redis;
    this.keys = recordKeys(prefix);
  }

  /** Claims `fingerprint` for `owner` unless another item has it; returns the owner it has now. */
  async claim(fingerprint: string, owner: RequestOwner): Promise<RequestOwner> {
    const [held] = await this.claimMany([{ request: fingerprint, owner }]);
    return held ?? owner;
  }

  /** `claim` for many requests in one round trip (enqueue's chunks). */
  async claimMany(
    claims: readonly { request: string; owner: RequestOwner }[],
  ): Promise<RequestOwner[]> {
    if (claims.length === 0) return [];
    const held = (await CLAIM_SCRIPT.run(
      this.redis,
      [this.keys.requestIndex],
      claims.flatMap((c) => [c.request, itemRef(c.owner)]),
    )) as string[];
    return claims.map((c, i) => parseItemRef(String(held[i])) ?? c.owner);
  }

  /** `replace` for many requests in one command (`enqueue --rerender`). */
  async replaceMany(claims: readonly { request: string; owner: RequestOwner }[]): Promise<void> {
    if (claims.length === 0) return;
    await this.redis.hset(
      this.keys.requestIndex,
      ...claims.flatMap((c) => [c.request, itemRef(c.owner)]),
    );
  }

  /** Moves the request to `to` if `from` still owns it (its render failed or is gone). */
  async takeOver(fingerprint: string, from: RequestOwner, to: RequestOwner): Promise<boolean> {
    const moved = await TAKE_OVER_SCRIPT.run(
      this.redis,
      [this.keys.requestIndex],
      [fingerprint, itemRef(from), itemRef(to)],
    );
    return moved === 1;
  }

  /** Makes `owner` the request's renderer whoever had it (`enqueue --rerender`). */
  async replace(fingerprint: string, owner: RequestOwner): Promise<void> {
    await this.replaceMany([{ request: fingerprint, owner }]);
  }
}

/**
 * What an item does about a request another item owns, by the owner's state: reuse its files
 * (completed), wait for it (queued or in flight), or render it itself (failed, cancelled, or
 * gone: no state).
 */
export function reuseDecision(ownerState: ItemState | undefined): "reuse" | "wait" | "render" {
  if (ownerState === "completed") return "reuse";
  if (ownerState === undefined || isFinalState(ownerState)) return "render";
  return "wait";
}

export function sameOwner(a: RequestOwner, b: RequestOwner): boolean {
  return a.batchId === b.batchId && a.customId === b.customId;
}
