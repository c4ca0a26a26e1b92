import { createHash, timingSafeEqual } from "node:crypto";

/** What a request is allowed to do: `write` includes `read`. */
export type TokenScope = "read" | "write";

/** The caller a request was authenticated as (never the token itself). */
export interface ApiCaller {
  /** The token's name from VEOQ_API_TOKENS: rate limits, idempotency keys and logs use it. */
  name: string;
  scope: TokenScope;
}

/** One configured token, as VEOQ_API_TOKENS gives it. */
export interface ConfiguredToken {
  name: string;
  token: string;
  scope: TokenScope;
}

/** The caller of an API that has no tokens (allowed on loopback only: see safe-listen.ts). */
export const LOCAL_CALLER: ApiCaller = { name: "local", scope: "write" };

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();

/**
 * Checks bearer tokens in constant time. Only each token's SHA-256 is kept; a presented token is
 * hashed once and compared with every configured hash (timingSafeEqual on equal-length digests,
 * no early exit), so neither a token's length nor how much of it matched shows in the timing.
 */
export class TokenAuthenticator {
  readonly #tokens: { name: string; scope: TokenScope; hash: Buffer }[];

  constructor(tokens: readonly ConfiguredToken[]) {
    this.#tokens = tokens.map((t) => ({ name: t.name, scope: t.scope, hash: digest(t.token) }));
  }

  /** True when no tokens are configured: every request is the local caller. */
  get open(): boolean {
    return this.#tokens.length === 0;
  }

  /** The caller an `Authorization` header names, or undefined (missing, malformed or unknown). */
  authenticate(header: string | undefined): ApiCaller | undefined {
    if (this.open) return LOCAL_CALLER;
    const match = /^Bearer +(\S+) *$/i.exec(header ?? "");
    const presented = digest(match?.[1] ?? "");
    let found: ApiCaller | undefined;
    for (const token of this.#tokens) {
      if (timingSafeEqual(presented, token.hash) && match !== null) {
        found = { name: token.name, scope: token.scope };
      }
    }
    return found;
  }
}

/** Whether a caller's scope covers what a route needs. */
export function scopeAllows(caller: ApiCaller, needed: TokenScope): boolean {
  return needed === "read" || caller.scope === "write";
}
