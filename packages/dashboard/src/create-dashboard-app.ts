import { parseConfig } from "@veoq/config";
import type { Logger } from "@veoq/logging";
import {
  checkReadiness,
  createMetricsRegistry,
  type Registry,
  registerQueueDepthMetrics,
  withTimeout,
} from "@veoq/metrics";
import { type BatchStore, retryFailedItems, type VeoqQueues } from "@veoq/pipeline";
import express, { type Express, type NextFunction, type Request, type Response } from "express";
import { type DashboardCredentials, requireBasicAuth } from "./basic-auth.ts";
import { createBullBoardRouter } from "./bull-board-router.ts";
import { type DashboardSource, readBatchView, readDashboardSnapshot } from "./read-batches.ts";
import {
  type PageContext,
  renderBatchPage,
  renderMessagePage,
  renderOverviewPage,
  renderSearchPage,
} from "./render-pages.ts";
import { sameOriginGuard } from "./same-origin-guard.ts";
import { searchItems } from "./search-items.ts";
import type { StuckRule } from "./stuck-items.ts";

/** Where Bull Board is mounted. */
export const BULL_BOARD_PATH = "/queues";

export interface DashboardAppOptions {
  queues: VeoqQueues;
  store: BatchStore;
  /** HTTP basic auth on every route but /healthz. Default none (startDashboard allows that only on loopback). */
  credentials?: DashboardCredentials | undefined;
  /** Hide and refuse the retry button and Bull Board's actions (DASHBOARD_READ_ONLY). Default false. */
  readOnly?: boolean;
  /** Tries per create request given to re-submitted items (VEOQ_SUBMIT_ATTEMPTS). Default: the config's. */
  submitAttempts?: number;
  /** When a task counts as stuck. Default: the config's poll deadline and time scale. */
  stuckRule?: StuckRule;
  /**
   * Registry behind /metrics. Default: a new one with process metrics and queue depth. A
   * registry passed in is served as is.
   */
  registry?: Registry;
  logger?: Logger;
  /** Newest batches on the overview. Default 50. */
  batchLimit?: number;
  /** Failed items listed per batch on the overview. Default 10 (the batch page lists up to 500). */
  failedLimit?: number;
  /** Seconds between automatic reloads of the overview and batch pages (0 = never). Default 30. */
  refreshSeconds?: number;
  /** Longest wait for Redis per request (ms); then 503. Default 10000 (readiness: 2000). */
  redisTimeoutMs?: number;
  now?: () => number;
}

/** The config's defaults (no environment), for options not given. */
const CONFIG_DEFAULTS = parseConfig({});

/** Failed items listed on a batch's own page. */
const DETAIL_FAILED_LIMIT = 500;

/**
 * The dashboard as an express app (it does not listen; see startDashboard): the batch overview
 * at `/`, Bull Board at `/queues`, JSON under `/api`, `/metrics`, `/healthz`, `/readyz`.
 */
export function createDashboardApp(options: DashboardAppOptions): Express {
  const readOnly = options.readOnly ?? false;
  const now = options.now ?? Date.now;
  const redisTimeoutMs = options.redisTimeoutMs ?? 10_000;
  const registry = options.registry ?? defaultRegistry(options.queues);
  const source: DashboardSource = {
    store: options.store,
    queues: options.queues,
    stuckRule: options.stuckRule ?? {
      pollDeadlineSeconds: CONFIG_DEFAULTS.pollDeadlineSeconds,
      timeScale: CONFIG_DEFAULTS.timeScale,
    },
    bullBoardPath: BULL_BOARD_PATH,
  };
  const page: PageContext = {
    readOnly,
    bullBoardPath: BULL_BOARD_PATH,
    refreshSeconds: options.refreshSeconds ?? 30,
  };
  const read = <T>(work: Promise<T>) => withTimeout(work, redisTimeoutMs, "redis");
  const snapshot = () =>
    read(
      readDashboardSnapshot(source, {
        now: now(),
        batchLimit: options.batchLimit ?? 50,
        failedLimit: options.failedLimit ?? 10,
      }),
    );
  const batchView = (id: string) =>
    read(readBatchView(source, id, { now: now(), failedLimit: DETAIL_FAILED_LIMIT }));
  const retry = async (id: string) => {
    if ((await read(options.store.getBatch(id))) === undefined) return undefined;
    return retryFailedItems(options.store, options.queues, id, {
      submitAttempts: options.submitAttempts ?? CONFIG_DEFAULTS.submitAttempts,
    });
  };

  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);

  app.get("/healthz", (_request, response) => {
    response.type("text/plain").send("ok\n");
  });
  if (options.credentials) app.use(requireBasicAuth(options.credentials));
  app.use(sameOriginGuard());
  app.use((_request, response, next) => {
    response.set("Cache-Control", "no-store");
    next();
  });

  app.get("/readyz", async (_request, response) => {
    const state = await checkReadiness(options.store);
    response
      .status(state.ready ? 200 : 503)
      .type("text/plain")
      .send(state.ready ? "ready\n" : `not ready: ${state.reason}\n`);
  });
  app.get("/metrics", async (_request, response) => {
    response.type(registry.contentType).send(await registry.metrics());
  });
  app.use(
    BULL_BOARD_PATH,
    createBullBoardRouter(options.queues, { basePath: BULL_BOARD_PATH, readOnly }),
  );

  app.get("/", async (request, response) => {
    response.type("html").send(renderOverviewPage(await snapshot(), page, retryNotice(request)));
  });
  app.get("/batches/:id", async (request, response) => {
    const batch = await batchView(request.params.id);
    if (!batch) {
      response
        .status(404)
        .type("html")
        .send(renderMessagePage("No such batch", `No batch ${request.params.id}.`, page));
      return;
    }
    response.type("html").send(renderBatchPage(batch, page, retryNotice(request)));
  });
  app.post("/batches/:id/retry", async (request, response) => {
    const id = request.params.id;
    if (readOnly) {
      response
        .status(403)
        .type("html")
        .send(
          renderMessagePage(
            "Read-only",
            "This dashboard is read-only (DASHBOARD_READ_ONLY).",
            page,
          ),
        );
      return;
    }
    const summary = await retry(id);
    if (!summary) {
      response
        .status(404)
        .type("html")
        .send(renderMessagePage("No such batch", `No batch ${id}.`, page));
      return;
    }
    options.logger?.info({ batchId: id, ...summary }, "dashboard: failed items re-queued");
    response.redirect(
      303,
      `/batches/${encodeURIComponent(id)}?retried=${summary.retried}&missing=${summary.skipped.length}`,
    );
  });
  app.get("/search", async (request, response) => {
    const query = typeof request.query.q === "string" ? request.query.q : "";
    const hits = await read(searchItems(source, query));
    response.type("html").send(renderSearchPage(query, hits, page));
  });

  app.get("/api/batches", async (_request, response) => {
    response.json(await snapshot());
  });
  app.get("/api/batches/:id", async (request, response) => {
    const batch = await batchView(request.params.id);
    if (!batch) {
      response.status(404).json({ error: `no batch ${request.params.id}` });
      return;
    }
    response.json(batch);
  });
  app.post("/api/batches/:id/retry", async (request, response) => {
    if (readOnly) {
      response.status(403).json({ error: "read-only dashboard" });
      return;
    }
    const summary = await retry(request.params.id);
    if (!summary) {
      response.status(404).json({ error: `no batch ${request.params.id}` });
      return;
    }
    response.json(summary);
  });
  app.get("/api/search", async (request, response) => {
    const query = typeof request.query.q === "string" ? request.query.q : "";
    response.json({ query, hits: await read(searchItems(source, query)) });
  });

  app.use((error: unknown, request: Request, response: Response, next: NextFunction) => {
    if (response.headersSent) {
      next(error);
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    options.logger?.error({ err: error, path: request.path }, "dashboard request failed");
    const status = /redis|ECONNREFUSED|Connection is closed|no answer/i.test(message) ? 503 : 500;
    if (request.path.startsWith("/api/")) {
      response.status(status).json({ error: message });
    } else {
      response
        .status(status)
        .type("html")
        .send(renderMessagePage("Cannot show this page", message, page));
    }
  });
  return app;
}

function defaultRegistry(queues: VeoqQueues): Registry {
  const registry = createMetricsRegistry();
  registerQueueDepthMetrics(registry, queues);
  return registry;
}

function retryNotice(request: Request): string | undefined {
  const retried = Number(request.query.retried);
  const missing = Number(request.query.missing);
  if (!Number.isInteger(retried)) return undefined;
  const lost =
    Number.isInteger(missing) && missing > 0
      ? `; ${missing} could not be retried (pnpm veoq retry says why)`
      : "";
  return `${retried} failed item${retried === 1 ? "" : "s"} re-queued${lost}.`;
}
