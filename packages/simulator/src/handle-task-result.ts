import type { IncomingMessage, ServerResponse } from "node:http";
import { guardApiRequest } from "./guard-api-request.ts";
import { sendError, sendJson } from "./http-answers.ts";
import type { SimulatorContext } from "./simulator-context.ts";
import { taskResultBodyOf } from "./task-result-body.ts";
import { taskPhaseAt } from "./task-timeline.ts";

/** `GET /v3/async/task-result?task_id=<id>`. */
export async function handleTaskResult(
  ctx: SimulatorContext,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { stats, store } = ctx;
  stats.countPoll();
  const key = await guardApiRequest(ctx, req, res);
  if (key === undefined) return;
  const taskId = url.searchParams.get("task_id");
  if (taskId === null || taskId === "") {
    sendError(res, 400, "task_id: required", stats);
    return;
  }
  const task = store.get(taskId);
  // With accounts of their own (`--keys`), a task belongs to the account that created it: another
  // key does not see it, as with the provider's separate accounts.
  const foreign =
    task !== undefined && task.ownerKey !== key && Object.keys(ctx.options.keyLimits).length > 0;
  if (task === undefined || foreign) {
    sendError(res, 404, "task not found", stats);
    return;
  }
  const nowMs = ctx.options.clock();
  const phase = taskPhaseAt(task, nowMs);
  task.polls += 1;
  if (phase.final && task.finalObservedAtMs === undefined) task.finalObservedAtMs = nowMs;
  const host = req.headers.host;
  const body = taskResultBodyOf(task, phase, {
    baseUrl: host === undefined ? ctx.baseUrl : `http://${host}`,
    fileSecret: ctx.fileSecret,
    nowMs,
    urlTtlSeconds: ctx.faults.urlTtlSeconds,
    reportEta: ctx.faults.reportEta,
    reportProgress: ctx.faults.reportProgress,
  });
  sendJson(res, 200, body, stats);
}
