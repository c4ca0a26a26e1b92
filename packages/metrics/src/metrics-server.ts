import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { type Readiness, readinessText } from "./check-readiness.ts";
import { type Liveness, livenessText } from "./worker-liveness.ts";

export interface MetricsServerOptions {
  registry: Registry;
  /** Answers `/readyz`. Default: always ready. */
  readiness?: () => Promise<Readiness>;
  /** Answers `/livez` (a worker's WorkerLiveness). Default: live while the process answers. */
  liveness?: () => Promise<Liveness>;
  /** Interface to listen on. Default "127.0.0.1". */
  host?: string;
  /** Port; 0 picks a free one. Default 0. */
  port?: number;
}

export interface MetricsServer {
  /** e.g. "http://127.0.0.1:9464". */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * A worker's small HTTP server: `GET /metrics` (Prometheus text), `/healthz` (200 while the
 * process runs), `/livez` (200, or 503 when the worker's loop is wedged: worker-liveness.ts) and
 * `/readyz` (200 or 503 with the reason). Nothing else; no auth, since it
 * exposes only bounded counters (bind it where your Prometheus can reach it).
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const readiness = options.readiness ?? (async (): Promise<Readiness> => ({ ready: true }));
  const liveness = options.liveness ?? (async (): Promise<Liveness> => ({ live: true }));
  const server = createServer((request, response) => {
    handle(request, response, options.registry, readiness, liveness).catch((error: unknown) => {
      if (!response.headersSent) {
        response.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
      }
      response.end(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  registry: Registry,
  readiness: () => Promise<Readiness>,
  liveness: () => Promise<Liveness>,
): Promise<void> {
  const path = (request.url ?? "/").split("?")[0];
  if (request.method !== "GET" && request.method !== "HEAD") {
    response.writeHead(405, { allow: "GET, HEAD" }).end();
    return;
  }
  if (path === "/metrics") {
    const body = await registry.metrics();
    response.writeHead(200, { "content-type": registry.contentType }).end(body);
  } else if (path === "/healthz") {
    response.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end("ok\n");
  } else if (path === "/livez") {
    const state = await liveness();
    response
      .writeHead(state.live ? 200 : 503, { "content-type": "text/plain; charset=utf-8" })
      .end(livenessText(state));
  } else if (path === "/readyz") {
    const state = await readiness();
    response
      .writeHead(state.ready ? 200 : 503, { "content-type": "text/plain; charset=utf-8" })
      .end(readinessText(state));
  } else {
    response.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found\n");
  }
}
