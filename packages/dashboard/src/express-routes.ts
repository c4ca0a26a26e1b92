import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import express, { type Express, type Request, type RequestHandler, type Response } from "express";
import type { DashboardRequest, DashboardResponse, DashboardRoute } from "./dashboard-route.ts";

/** Form and JSON bodies of the dashboard's posts (a few fields each). */
const BODY_PARSERS: RequestHandler[] = [
  express.urlencoded({ extended: false, limit: "2kb" }),
  express.json({ limit: "2kb" }),
];

/** Mounts routes of the table on an express app, in table order. */
export function mountRoutes(app: Express, routes: readonly DashboardRoute[]): void {
  for (const route of routes) {
    const handler: RequestHandler = async (request, response, next) => {
      const answer = await route.handler(dashboardRequestOf(request));
      await send(answer, response, next);
    };
    if (route.method === "GET") app.get(route.path, handler);
    else app.post(route.path, ...BODY_PARSERS, handler);
  }
}

function dashboardRequestOf(request: Request): DashboardRequest {
  const body: unknown = request.body;
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.params ?? {})) params[name] = String(value);
  return {
    params,
    query: request.query as Record<string, unknown>,
    body:
      body && typeof body === "object" && !Array.isArray(body)
        ? (body as Record<string, unknown>)
        : undefined,
    url: request.originalUrl,
  };
}

async function send(
  answer: DashboardResponse,
  response: Response,
  next: (error?: unknown) => void,
): Promise<void> {
  if ("redirect" in answer) {
    response.redirect(303, answer.redirect);
  } else if ("html" in answer) {
    response.status(answer.status).type("html").send(answer.html);
  } else if ("body" in answer) {
    response.status(answer.status).json(answer.body);
  } else if ("text" in answer) {
    response.status(answer.status).type(answer.contentType).send(answer.text);
  } else if ("lines" in answer) {
    // attachment() sets a type from the name's extension: the answer's own type goes last.
    response.status(answer.status).attachment(answer.filename).type(answer.contentType);
    // A failure after the first bytes cannot become an error page: the download is cut short.
    await pipeline(Readable.from(answer.lines), response).catch((error: unknown) => {
      if (!response.headersSent) next(error);
      else response.destroy(error instanceof Error ? error : undefined);
    });
  } else {
    const { root, relative } = answer.file;
    response.sendFile(relative, { root, dotfiles: "allow" }, (error?: Error) => {
      if (!error || response.headersSent) return;
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") {
        response.status(404).type("text/plain").send("the file is gone from the output dir\n");
      } else {
        next(error);
      }
    });
  }
}
