import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { EndpointSlug } from "@veoq/contract";
import { canonicalJson } from "./canonical-json.ts";
import { checkCreateBody } from "./create-request-check.ts";
import { PERMANENT_FAILURE_REASONS } from "./failure-reasons.ts";
import { decideCreateAnswer } from "./fault-injection.ts";
import { bearerKeyOf, guardApiRequest } from "./guard-api-request.ts";
import { dropConnection, sendError, sendJson, sendText } from "./http-answers.ts";
import { chargeCredit, checkKeyLimit } from "./key-limits.ts";
import { planTask } from "./plan-task.ts";
import type { SimulatorContext } from "./simulator-context.ts";

/** `POST /v3/async/<endpoint>`: check, then create a task and answer its id. */
export async function handleCreate(
  ctx: SimulatorContext,
  endpoint: EndpointSlug,
  rawBody: Buffer,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { stats, store } = ctx;
  stats.countCreate();
  // Figures per key only for the keys with their own limits (never an unknown bearer string).
  const claimed = bearerKeyOf(req.headers.authorization);
  const keyOfStats =
    claimed !== undefined && claimed in ctx.options.keyLimits ? claimed : undefined;
  const refuse = (answer: string): void => {
    stats.countRejected(answer);
    if (keyOfStats !== undefined) stats.countKeyRejected(keyOfStats, answer);
  };
  const key = await guardApiRequest(ctx, req, res, refuse, "create");
  if (key === undefined) return;

  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString("utf8"));
  } catch {
    refuse("400");
    sendError(res, 400, "request body is not valid JSON", stats);
    return;
  }
  const check = checkCreateBody(endpoint, body);
  if (!check.ok) {
    refuse("400");
    sendError(res, 400, check.message, stats);
    return;
  }

  const nowMs = ctx.options.clock();
  const { maxConcurrentTasks, concurrencyRetryAfterSeconds } = ctx.faults;
  if (maxConcurrentTasks > 0 && store.inFlightOf(key, nowMs) >= maxConcurrentTasks) {
    refuse("429");
    sendError(res, 429, "too many concurrent tasks", stats, {
      "Retry-After": String(Math.max(1, Math.ceil(concurrencyRetryAfterSeconds))),
    });
    return;
  }

  const keyRefusal = checkKeyLimit(ctx, key, nowMs);
  if (keyRefusal !== undefined) {
    refuse(String(keyRefusal.status));
    sendError(
      res,
      keyRefusal.status,
      keyRefusal.message,
      stats,
      keyRefusal.status === 429 ? { "Retry-After": String(keyRefusal.retryAfterSeconds) } : {},
    );
    return;
  }

  const answer = decideCreateAnswer(ctx.prng, ctx.faults);
  if (answer === "invalid-json") {
    refuse("invalid-json");
    sendText(res, 200, '{"task_id": "', "application/json", stats);
    return;
  }
  if (answer === "missing-task-id") {
    refuse("missing-task-id");
    sendJson(res, 200, { code: 0, message: "success" }, stats);
    return;
  }

  const bodyHash = createHash("sha256").update(canonicalJson(body)).digest("hex");
  const acceptedBefore = store.acceptedCountOfBody(bodyHash);
  const task = planTask(ctx, {
    endpoint,
    body: check.value,
    acceptedBefore,
    earlierPermanentReason: store.permanentReasonOfBody(bodyHash),
    ownerKey: key,
    nowMs,
  });
  store.recordAcceptedBody(bodyHash);
  if (task.fails && PERMANENT_FAILURE_REASONS.includes(task.reason)) {
    store.recordPermanentReason(bodyHash, task.reason);
  }
  store.add(task, nowMs);
  stats.countAccepted(endpoint, acceptedBefore > 0);
  chargeCredit(ctx, key);
  if (keyOfStats !== undefined) stats.countKeyAccepted(keyOfStats);
  stats.noteInFlight(store.inFlightTotal(nowMs));

  if (answer === "drop-after-create") {
    dropConnection(req, stats);
    return;
  }
  sendJson(res, 200, { task_id: task.taskId }, stats);
}
