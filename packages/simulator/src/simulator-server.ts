import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { isEndpointSlug, TASK_RESULT_PATH } from "@veoq/contract";
import { handleAdmin } from "./handle-admin.ts";
import { handleCreate } from "./handle-create.ts";
import { handleFile, isFilePath } from "./handle-file.ts";
import { handleTaskResult } from "./handle-task-result.ts";
import { readBody, sendError } from "./http-answers.ts";
import type { SimulatorContext } from "./simulator-context.ts";

const CREATE_PREFIX = "/v3/async/";

/** The simulator's HTTP server: routes each request to its handler. */
export function createSimulatorServer(ctx: SimulatorContext): Server {
  return createServer((req, res) => {
    routeRequest(ctx, req, res).catch(() => {
      sendError(res, 500, "simulator error", ctx.stats);
    });
  });
}

async function routeRequest(
  ctx: SimulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { stats } = ctx;
  const method = req.method ?? "GET";
  const url = new URL(req.url ?? "/", "http://simulator.invalid");
  const { pathname } = url;

  if (pathname.startsWith("/__sim/")) {
    const read = await readBody(req, ctx.options.maxBodyBytes);
    if (!read.ok) {
      sendError(res, 413, "request body too large", undefined);
      return;
    }
    handleAdmin(ctx, method, pathname, read.body, res);
    return;
  }

  if (pathname === TASK_RESULT_PATH) {
    if (method !== "GET") {
      sendError(res, 405, "method not allowed", stats, { Allow: "GET" });
      return;
    }
    await handleTaskResult(ctx, url, req, res);
    return;
  }

  if (pathname.startsWith(CREATE_PREFIX)) {
    const slug = pathname.slice(CREATE_PREFIX.length);
    if (isEndpointSlug(slug)) {
      if (method !== "POST") {
        sendError(res, 405, "method not allowed", stats, { Allow: "POST" });
        return;
      }
      const read = await readBody(req, ctx.options.maxBodyBytes);
      if (!read.ok) {
        stats.countCreate();
        stats.countRejected("413");
        sendError(res, 413, "request body too large", stats);
        return;
      }
      await handleCreate(ctx, slug, read.body, req, res);
      return;
    }
  }

  if (isFilePath(pathname) && (method === "GET" || method === "HEAD")) {
    handleFile(ctx, url, res);
    return;
  }

  sendError(res, 404, "not found", stats);
}
