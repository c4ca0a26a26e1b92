import { createHash } from "node:crypto";
import { type RedisConnection, recordKeys } from "@veoq/pipeline";
import { z } from "zod";

/** How long a finished request's response is replayed for its key (the 24 h). */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
/**
 * How long a claim of a request still running holds its key. A process that dies mid-request
 * leaves its claim behind; after this the key can be used again (the work is idempotent by
 * batch and custom_id, so running it again adds only what is missing).
 */
export const IDEMPOTENCY_RUNNING_TTL_SECONDS = 15 * 60;

/** A response kept for replay: status, JSON body and the headers that matter. */
export interface StoredResponse {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

const recordSchema = z.discriminatedUnion("state", [
  z.object({ state: z.literal("running"), fingerprint: z.string() }),
  z.object({
    state: z.literal("done"),
    fingerprint: z.string(),
    response: z.object({
      status: z.number().int(),
      body: z.unknown(),
      headers: z.record(z.string(), z.string()),
    }),
  }),
]);

/** What a claim found: the key is ours to run, or it was used before. */
export type IdempotencyClaim =
  | { kind: "claimed" }
  | { kind: "replay"; response: StoredResponse }
  | { kind: "in-progress" }
  | { kind: "mismatch" };

/**
 * `Idempotency-Key` records in Redis, one per caller and key (the key is stored only as its
 * SHA-256). The first request claims the key with its fingerprint (method, path, query and a
 * hash of the body); a later request with the same key replays the stored response, is told the
 * first is still running, or, with another fingerprint, is refused.
 */
export class IdempotencyStore {
  readonly #redis: RedisConnection;
  readonly #prefix: string;

  constructor(redis: RedisConnection, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  #key(caller: string, idempotencyKey: string): string {
    const hash = createHash("sha256").update(idempotencyKey, "utf8").digest("hex");
    return recordKeys(this.#prefix).apiIdempotency(caller, hash);
  }

  async claim(
    caller: string,
    idempotencyKey: string,
    fingerprint: string,
  ): Promise<IdempotencyClaim> {
    const key = this.#key(caller, idempotencyKey);
    const running = JSON.stringify({ state: "running", fingerprint });
    const set = await this.#redis.set(key, running, "EX", IDEMPOTENCY_RUNNING_TTL_SECONDS, "NX");
    if (set === "OK") return { kind: "claimed" };
    const raw = await this.#redis.get(key);
    // Expired between the two commands: try once more (a second miss is an in-progress race).
    if (raw === null) {
      const again = await this.#redis.set(
        key,
        running,
        "EX",
        IDEMPOTENCY_RUNNING_TTL_SECONDS,
        "NX",
      );
      return again === "OK" ? { kind: "claimed" } : { kind: "in-progress" };
    }
    const parsed = recordSchema.safeParse(JSON.parse(raw));
    if (!parsed.success) return { kind: "in-progress" };
    const record = parsed.data;
    if (record.fingerprint !== fingerprint) return { kind: "mismatch" };
    if (record.state === "running") return { kind: "in-progress" };
    return { kind: "replay", response: record.response };
  }

  /** Stores the response of a claimed request for 24 h. */
  async complete(
    caller: string,
    idempotencyKey: string,
    fingerprint: string,
    response: StoredResponse,
  ): Promise<void> {
    await this.#redis.set(
      this.#key(caller, idempotencyKey),
      JSON.stringify({ state: "done", fingerprint, response }),
      "EX",
      IDEMPOTENCY_TTL_SECONDS,
    );
  }

  /** Frees a claimed key whose request failed (5xx): a retry with the same key runs again. */
  async release(caller: string, idempotencyKey: string): Promise<void> {
    await this.#redis.del(this.#key(caller, idempotencyKey));
  }
}
