import { parseConfig } from "@veoq/config";
import type { Logger } from "@veoq/logging";
import {
  checkReadiness,
  createMetricsRegistry,
  type Registry,
  readinessText,
  registerDeploymentMetrics,
} from "@veoq/metrics";
import type { BatchStore, RetryPlan, VeoqQueues } from "@veoq/pipeline";
import { toRetryJson, toRetryPlanJson } from "@veoq/report";
import express, { type Express, type NextFunction, type Request, type Response } from "express";
import { type AllowedHosts, allowedHostsFor, requireAllowedHost } from "./allowed-hosts.ts";
import {
  toBatchViewJson,
  toItemDetailJson,
  toItemPageJson,
  toOverviewJson,
  toSearchJson,
} from "./api-json.ts";
import { type DashboardCredentials, requireBasicAuth } from "./basic-auth.ts";
import { BATCH_PAGE_SCRIPT } from "./batch-page-script.ts";
import { createBullBoardRouter } from "./bull-board-router.ts";
import {
  createDashboardEndpoints,
  LIFECYCLE_ACTIONS,
  type LifecycleAction,
} from "./dashboard-endpoints.ts";
import { htmlRoute, jsonRoute } from "./endpoint-renderers.ts";
import type { DashboardSource } from "./read-batches.ts";
import type { RedisOutageLog } from "./redis-outage-log.ts";
import { BATCH_PAGE_SCRIPT_PATH, renderBatchPage } from "./render-batch-page.ts";
import { renderItemPage } from "./render-item-page.ts";
import {
  type PageContext,
  renderMessagePage,
  renderOverviewPage,
  renderSearchPage,
} from "./render-pages.ts";
import { renderRetryPage } from "./render-retry-page.ts";
import { sameOriginGuard } from "./same-origin-guard.ts";
import { securityHeaders } from "./security-headers.ts";
import { serveItemFile } from "./serve-item-file.ts";
import type { StuckRule } from "./stuck-items.ts";

/** Where Bull Board is mounted. */
export const BULL_BOARD_PATH = "/queues";

export interface DashboardAppOptions {
  /** Wraps every request in a server span (packages/tracing's httpSpans); none by default. */
  requestSpan?: ((request: Request, response: Response, next: NextFunction) => void) | undefined;
  queues: VeoqQueues;
  store: BatchStore;
  /** HTTP basic auth on every route but /healthz and /readyz. Default none (startDashboard allows that only on loopback). */
  credentials?: DashboardCredentials | undefined;
  /** Hide and refuse the retry button and Bull Board's actions (DASHBOARD_READ_ONLY). Default false. */
  readOnly?: boolean;
  /**
   * The Host names requests may carry (DNS rebinding); others get 421. Default loopback names
   * only (startDashboard adds DASHBOARD_HOST and DASHBOARD_ALLOWED_HOSTS).
   */
  allowedHosts?: AllowedHosts;
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
  /**
   * Told of every Redis failure and success of a request, so an outage is logged once and at a
   * bounded rate (startDashboard passes the one its connection events feed too). Default none:
   * each failed request is logged.
   */
  redisOutage?: RedisOutageLog;
  /** Newest batches on the overview. Default 50. */
  batchLimit?: number;
  /** Failed items listed per batch on the overview. Default 10 (the batch page lists up to 500). */
  failedLimit?: number;
  /** Seconds between automatic reloads of the overview (0 = never). Default 30. */
  refreshSeconds?: number;
  /**
   * Seconds between the batch page's live updates of its item table and counts, read from the
   * JSON API by a script, without reloading the page (0 = none). Default 5.
   */
  liveSeconds?: number;
  /** Where items' files are saved (VEOQ_OUTPUT_DIR): the dashboard serves them. Default none (not served). */
  outputDir?: string | undefined;
  /**
   * Estimated cost (USD) of a retry plan's re-submissions, shown before the retry pays. Default
   * none: the summary says the cost is not estimated (a seam for the price table).
   */
  priceRetry?: (plan: RetryPlan) => Promise<number | undefined>;
  /** Longest wait for Redis per request (ms); then 503. Default 10000 (readiness: 2000). */
  redisTimeoutMs?: number;
  /**
   * Longest a pause, resume, cancel or retry may take (ms): then 503, and the change is never applied
   * later (its write carries this deadline on the Redis server's clock). Default 5000.
   */
  writeTimeoutMs?: number;
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
  const registry = options.registry ?? defaultRegistry(options.queues, options.store);
  const allowedHosts = options.allowedHosts ?? allowedHostsFor("localhost");
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
  const endpoints = createDashboardEndpoints({
    source,
    store: options.store,
    queues: options.queues,
    readOnly,
    submitAttempts: options.submitAttempts ?? CONFIG_DEFAULTS.submitAttempts,
    batchLimit: options.batchLimit ?? 50,
    failedLimit: options.failedLimit ?? 10,
    detailFailedLimit: DETAIL_FAILED_LIMIT,
    redisTimeoutMs,
    writeTimeoutMs: options.writeTimeoutMs ?? 5_000,
    now,
    logger: options.logger,
    priceRetry: options.priceRetry,
    redisOutage: options.redisOutage,
  });
  const liveSeconds = options.liveSeconds ?? 5;

  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  if (options.requestSpan) app.use(options.requestSpan);

  // Every response, refusals included, forbids framing and sniffing.
  app.use(securityHeaders(BULL_BOARD_PATH));
  // Probes (orchestrators, load balancers) need neither credentials nor a known Host (they
  // often use the pod's address); both answers are terse and name no host.
  app.get("/healthz", (_request, response) => {
    response.type("text/plain").send("ok\n");
  });
  app.get("/readyz", async (_request, response) => {
    const state = await checkReadiness(options.store);
    response
      .status(state.ready ? 200 : 503)
      .type("text/plain")
      .send(readinessText(state));
  });
  app.use(requireAllowedHost(allowedHosts));
  if (options.credentials) app.use(requireBasicAuth(options.credentials));
  app.use(sameOriginGuard(allowedHosts));
  app.use((_request, response, next) => {
    response.set("Cache-Control", "no-store");
    next();
  });

  app.get("/metrics", async (_request, response) => {
    response.type(registry.contentType).send(await registry.metrics());
  });
  app.use(
    BULL_BOARD_PATH,
    createBullBoardRouter(options.queues, {
      basePath: BULL_BOARD_PATH,
      readOnly,
      redisTimeoutMs,
      redisAnswers: () => options.store.redis.ping(),
      redisOutage: options.redisOutage,
    }),
  );

  app.get(
    "/",
    htmlRoute(
      endpoints.overview,
      (snapshot, request) => renderOverviewPage(snapshot, page, retryNotice(request)),
      page,
    ),
  );
  app.get(BATCH_PAGE_SCRIPT_PATH, (_request, response) => {
    response.type("text/javascript").send(BATCH_PAGE_SCRIPT);
  });
  app.get(
    "/batches/:id",
    htmlRoute(
      async (request) => {
        const [batch, items] = await Promise.all([
          endpoints.batch(request),
          endpoints.items(request),
        ]);
        if (batch.kind !== "data") return batch;
        if (items.kind !== "data") return items;
        return { kind: "data", data: { batch: batch.data, items: items.data } };
      },
      ({ batch, items }, request) =>
        renderBatchPage(batch, items, page, { notice: retryNotice(request), liveSeconds }),
      page,
    ),
  );
  app.get(
    "/batches/:id/items/:customId",
    htmlRoute(endpoints.item, (detail) => renderItemPage(detail, page), page),
  );
  app.get(
    "/batches/:id/items/:customId/files/:index",
    serveItemFile(options.store, options.outputDir),
  );
  // The retry's summary page asks before paying; read-only dashboards refuse it like the post.
  app.get(
    "/batches/:id/retry",
    htmlRoute(
      async (request) => (readOnly ? { kind: "read-only" } : endpoints.retryPlan(request)),
      (view) => renderRetryPage(view, page),
      page,
    ),
  );
  const retryBody = [
    express.urlencoded({ extended: false, limit: "2kb" }),
    express.json({ limit: "2kb" }),
  ];
  app.post(
    "/batches/:id/retry",
    ...retryBody,
    (request, response, next) => {
      // A post without the summary's agreed paid count (an old form, a hand-made post) is shown
      // the summary first; nothing is re-queued.
      const body = request.body as Record<string, unknown> | undefined;
      if (!readOnly && body?.max_resubmits === undefined) {
        response.redirect(303, `/batches/${encodeURIComponent(String(request.params.id))}/retry`);
        return;
      }
      next();
    },
    htmlRoute(
      endpoints.retry,
      (summary, request) => ({
        redirect: `/batches/${encodeURIComponent(String(request.params.id))}?retried=${summary.retried}&missing=${summary.skipped.length}`,
      }),
      page,
    ),
  );
  for (const action of LIFECYCLE_ACTIONS) {
    app.post(
      `/batches/:id/${action}`,
      htmlRoute(
        (request) => endpoints.lifecycle(withAction(request, action)),
        (_result, request) => ({
          redirect: `/batches/${encodeURIComponent(String(request.params.id))}`,
        }),
        page,
      ),
    );
    app.post(
      `/api/batches/:id/${action}`,
      jsonRoute((request) => endpoints.lifecycle(withAction(request, action))),
    );
  }
  app.get(
    "/search",
    htmlRoute(endpoints.search, ({ query, hits }) => renderSearchPage(query, hits, page), page),
  );

  app.get("/api/batches", jsonRoute(endpoints.overview, toOverviewJson));
  app.get("/api/batches/:id", jsonRoute(endpoints.batch, toBatchViewJson));
  app.get("/api/batches/:id/items", jsonRoute(endpoints.items, toItemPageJson));
  app.get("/api/batches/:id/items/:customId", jsonRoute(endpoints.item, toItemDetailJson));
  app.get(
    "/api/batches/:id/retry-plan",
    jsonRoute(endpoints.retryPlan, (view) => toRetryPlanJson(view.plan, view.estimatedCostUsd)),
  );
  app.post(
    "/api/batches/:id/retry",
    ...retryBody,
    jsonRoute(endpoints.retry, (summary) => toRetryJson(summary)),
  );
  app.get("/api/search", jsonRoute(endpoints.search, toSearchJson));

  app.use((error: unknown, request: Request, response: Response, next: NextFunction) => {
    if (response.headersSent) {
      next(error);
      return;
    }
    if (isMalformedPathError(error)) {
      // Express could not decode a %-escape of the path: the client's mistake, not ours.
      options.logger?.warn({ path: request.path }, "dashboard: malformed %-escape in a path");
      const message = "malformed %-escape in the path";
      if (request.path.startsWith("/api/")) response.status(400).json({ error: message });
      else {
        response
          .status(400)
          .type("html")
          .send(renderMessagePage("Bad request", `${message}.`, page));
      }
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    const status = /redis|ECONNREFUSED|Connection is closed|no answer/i.test(message) ? 503 : 500;
    // A 503 is Redis being away: one outage, logged at a bounded rate, not one line per page.
    if (status === 503 && options.redisOutage) options.redisOutage.error(error);
    else options.logger?.error({ err: error, path: request.path }, "dashboard request failed");
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

/**
 * The gauges a worker's /metrics reads from Redis (queue depth, provider slots, money reserved,
 * batches paused by reason or cancelled, live workers per role), so the dashboard shows the same deployment-wide state.
 * The counters (completed, spent by model, ...) are per worker process and stay there.
 */
function defaultRegistry(queues: VeoqQueues, store: BatchStore): Registry {
  const registry = createMetricsRegistry();
  registerDeploymentMetrics(registry, { queues, store });
  return registry;
}

function retryNotice(request: Request): string | undefined {
  const retried = Number(request.query.retried);
  const missing = Number(request.query.missing);
  if (!Number.isInteger(retried)) return undefined;
  const lost =
    Number.isInteger(missing) && missing > 0
      ? `; ${missing} could not be retried (veoq retry says why)`
      : "";
  return `${retried} failed item${retried === 1 ? "" : "s"} re-queued${lost}.`;
}

/** Express's refusal to decode a path parameter (`%zz`, a cut-off escape): a URIError with status 400. */
function isMalformedPathError(error: unknown): boolean {
  return (
    error instanceof URIError ||
    (error instanceof Error &&
      (error as { status?: unknown }).status === 400 &&
      /decode/i.test(error.message))
  );
}

/** The request with the lifecycle action its route names (the routes are one per action). */
function withAction(request: Request, action: LifecycleAction): Request {
  request.params = { ...request.params, action };
  return request;
}
