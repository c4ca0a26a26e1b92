import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import express, { type Express, type NextFunction, type Request, type Response } from "express";
import { ApiProblem } from "./api-problem.ts";
import type { ApiResult, ApiRoute } from "./api-route.ts";
import { handleRequest, problemResult, type RequestPipeline } from "./handle-request.ts";

/** `/v1/batches/{id}` -> `/v1/batches/:id` (express's form). */
export const expressPath = (path: string) => path.replace(/\{([A-Za-z0-9_]+)\}/g, ":$1");

/** Wraps a request in a server span (packages/tracing's httpSpans), when tracing is on. */
export type RequestSpanMiddleware = (
  request: Request,
  response: Response,
  next: NextFunction,
) => void;

/**
 * The express app of the API: one express route per route of the table, each handing the
 * request to the framework-free core (handleRequest) and writing its result. Bodies are never
 * parsed by express (the core streams manifests). Also GET /openapi.json and GET /healthz,
 * without a token (they show no data). With `requestSpan`, every request runs inside its span.
 */
export function createExpressApp(
  api: RequestPipeline,
  routes: readonly ApiRoute[],
  openApiDocument: unknown,
  requestSpan?: RequestSpanMiddleware,
): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("query parser", "simple");
  if (requestSpan !== undefined) app.use(requestSpan);
  app.use((_request, response, next) => {
    response.set({ "x-content-type-options": "nosniff", "cache-control": "no-store" });
    next();
  });
  app.get("/openapi.json", (_request, response) => {
    response.json(openApiDocument);
  });
  app.get("/healthz", (_request, response) => {
    response.json({ ok: true });
  });
  for (const route of routes) {
    app[route.method](expressPath(route.path), (request: Request, response: Response) => {
      const started = Date.now();
      handleRequest(api, route, {
        params: request.params as Record<string, string>,
        query: request.query as Record<string, unknown>,
        headers: request.headers,
        body: request,
      })
        .then((result) => writeResult(request, response, result))
        .catch((error: unknown) => {
          api.context.logger.error(
            { err: error, method: request.method, route: route.path },
            "api: request failed",
          );
          if (!response.headersSent) {
            return writeResult(
              request,
              response,
              problemResult(new ApiProblem("internal", "the request failed; see the API's log")),
            );
          }
          response.destroy();
        })
        .finally(() => {
          api.context.logger.debug(
            {
              method: request.method,
              route: route.path,
              status: response.statusCode,
              ms: Date.now() - started,
            },
            "api: request",
          );
        });
    });
  }
  app.use((request: Request, response: Response) => {
    void writeResult(
      request,
      response,
      problemResult(new ApiProblem("not_found", `no route ${request.method} ${request.path}`)),
    );
  });
  return app;
}

async function writeResult(request: Request, response: Response, result: ApiResult): Promise<void> {
  // A body the route did not read (a bad token before an upload) is drained, not left hanging.
  if (!request.readableEnded) request.resume();
  switch (result.kind) {
    case "json":
      response
        .status(result.status)
        .set(result.headers ?? {})
        .type(result.contentType ?? "application/json")
        .send(JSON.stringify(result.body));
      return;
    case "redirect":
      response.redirect(302, result.location);
      return;
    case "stream":
      response.status(result.status).type(result.contentType);
      await pipeline(Readable.from(result.lines), response);
      return;
    case "file":
      await new Promise<void>((resolve) => {
        response.sendFile(
          result.relative,
          { root: result.root, dotfiles: "allow" },
          (error?: Error) => {
            if (error && !response.headersSent) {
              const code = (error as NodeJS.ErrnoException).code;
              const problem =
                code === "ENOENT" || code === "ENOTDIR"
                  ? new ApiProblem("not_found", "the file is gone from the output dir")
                  : new ApiProblem("internal", "the file could not be read");
              void writeResult(request, response, problemResult(problem));
            }
            resolve();
          },
        );
      });
      return;
  }
}
