import type { ServerResponse } from "node:http";
import { sendError, sendJson } from "./http-answers.ts";
import { type FaultOverrides, mergeFaultOptions } from "./options.ts";
import type { SimulatorContext } from "./simulator-context.ts";
import { resetStatsOf, statsOf, tasksOf } from "./simulator-reports.ts";

/** `/__sim/*`: stats, tasks, faults and reset. Needs no key and is never counted or faulted. */
export function handleAdmin(
  ctx: SimulatorContext,
  method: string,
  pathname: string,
  rawBody: Buffer,
  res: ServerResponse,
): void {
  const route = `${method} ${pathname}`;
  switch (route) {
    case "GET /__sim/stats":
      sendJson(res, 200, statsOf(ctx), undefined);
      return;
    case "GET /__sim/tasks":
      sendJson(res, 200, tasksOf(ctx), undefined);
      return;
    case "GET /__sim/faults":
      sendJson(res, 200, ctx.faults, undefined);
      return;
    case "POST /__sim/faults": {
      let overrides: unknown;
      try {
        overrides = JSON.parse(rawBody.toString("utf8"));
      } catch {
        sendError(res, 400, "request body is not valid JSON", undefined);
        return;
      }
      if (overrides === null || typeof overrides !== "object" || Array.isArray(overrides)) {
        sendError(res, 400, "expected a JSON object of fault options", undefined);
        return;
      }
      try {
        ctx.faults = mergeFaultOptions(ctx.faults, overrides as FaultOverrides);
      } catch (error) {
        sendError(res, 400, (error as Error).message, undefined);
        return;
      }
      sendJson(res, 200, ctx.faults, undefined);
      return;
    }
    case "POST /__sim/reset-stats":
      resetStatsOf(ctx);
      sendJson(res, 200, { ok: true }, undefined);
      return;
    default:
      sendError(res, 404, "not found", undefined);
  }
}
