import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { decideRequestFault, latencyMsOf } from "./fault-injection.ts";
import { dropConnection, sendError } from "./http-answers.ts";
import type { SimulatorContext } from "./simulator-context.ts";
import { takeToken } from "./token-bucket.ts";

/** Told how a request was refused: its status code as text, "dropped" or "client-gone". */
export type RefusalListener = (answer: string) => void;

/** The key from `Authorization: Bearer <key>`, if the header has that form. */
export function bearerKeyOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/**
 * Everything an API request goes through before its route looks at it, in order: added latency
 * (after which a client that has gone away is refused as "client-gone"), dropped connection,
 * injected 5xx, key check (401/402), per-key rate limit (429).
 * Answers the request itself when refusing it; returns the API key when the request may proceed.
 */
export async function guardApiRequest(
  ctx: SimulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  onRefused: RefusalListener = () => {},
  route: "create" | "other" = "other",
): Promise<string | undefined> {
  const { stats, prng } = ctx;
  const latencyMs = latencyMsOf(prng, ctx.faults);
  if (latencyMs > 0) {
    await sleep(latencyMs);
    if (res.destroyed) {
      // The client went away (a killed worker) before the request was looked at: no task.
      onRefused("client-gone");
      return undefined;
    }
  }
  const fault = decideRequestFault(prng, ctx.faults);
  if (fault.kind === "drop") {
    onRefused("dropped");
    dropConnection(req, stats);
    return undefined;
  }
  if (fault.kind === "server-error") {
    onRefused(String(fault.status));
    sendError(res, fault.status, "upstream service unavailable, please retry", stats);
    return undefined;
  }
  const key = bearerKeyOf(req.headers.authorization);
  if (key !== undefined && ctx.faults.exhaustedKeys.includes(key)) {
    onRefused("402");
    sendError(res, 402, "insufficient balance", stats);
    return undefined;
  }
  if (key === undefined || !ctx.options.apiKeys.includes(key)) {
    onRefused("401");
    sendError(res, 401, "invalid or missing API key", stats);
    return undefined;
  }
  const rateLimit = ctx.faults.rateLimit;
  if (rateLimit.requestsPerSecond > 0 && (rateLimit.scope === "all" || route === "create")) {
    const take = takeToken(ctx.buckets.get(key), rateLimit, ctx.options.clock());
    ctx.buckets.set(key, take.state);
    if (!take.allowed) {
      const retryAfter =
        rateLimit.retryAfterSeconds > 0
          ? rateLimit.retryAfterSeconds
          : Math.max(1, Math.ceil(take.waitMs / 1000));
      onRefused("429");
      sendError(res, 429, "rate limit exceeded", stats, { "Retry-After": String(retryAfter) });
      return undefined;
    }
  }
  return key;
}
