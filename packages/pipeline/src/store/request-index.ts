import type { RedisConnection } from "./connection/redis-connection.ts";
import { type ItemState, isFinalState } from "./item-states.ts";
import { itemRef, parseItemRef, type RecordKeys, recordKeys } from "./keys.ts";
import { runStoreScript } from "./store-scripts.ts";

/** The item that renders a request: its batch and custom id. */
export interface RequestOwner {
  batchId: string;
  customId: string;
}

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
    const held = (await runStoreScript(
      this.redis,
      "claimRequests",
      [this.keys.requestIndex],
      requestOwnerArgs(claims),
    )) as (string | number)[];
    // 1: held by the owner claiming it (most claims): no ref to parse.
    return claims.map((c, i) => {
      const holder = held[i];
      return holder === 1 ? c.owner : (parseItemRef(String(holder)) ?? c.owner);
    });
  }

  /** `replace` for many requests in one command (`enqueue --rerender`). */
  async replaceMany(claims: readonly { request: string; owner: RequestOwner }[]): Promise<void> {
    if (claims.length === 0) return;
    await this.redis.hset(this.keys.requestIndex, ...requestOwnerArgs(claims));
  }

  /** Moves the request to `to` if `from` still owns it (its render failed or is gone). */
  async takeOver(fingerprint: string, from: RequestOwner, to: RequestOwner): Promise<boolean> {
    const moved = await runStoreScript(
      this.redis,
      "takeOverRequest",
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

/** request, owner ref, request, owner ref, ... (an enqueue's chunk: 500 arguments, no pairs). */
function requestOwnerArgs(claims: readonly { request: string; owner: RequestOwner }[]): string[] {
  const args = new Array<string>(claims.length * 2);
  for (let i = 0; i < claims.length; i++) {
    const claim = claims[i] as { request: string; owner: RequestOwner };
    args[2 * i] = claim.request;
    args[2 * i + 1] = itemRef(claim.owner);
  }
  return args;
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
