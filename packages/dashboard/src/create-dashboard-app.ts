import { parseConfig } from "@veoq/config";
import type { Logger } from "@veoq/logging";
import { createMetricsRegistry, type Registry, registerDeploymentMetrics } from "@veoq/metrics";
import type { BatchStore, RetryPlan, VeoqQueues } from "@veoq/pipeline";
import type { PriceTable } from "@veoq/pricing";
import express, { type Express, type NextFunction, type Request, type Response } from "express";
import { type AllowedHosts, allowedHostsFor, requireAllowedHost } from "./allowed-hosts.ts";
import { type DashboardCredentials, requireBasicAuth } from "./basic-auth.ts";
import { createBatchActionEndpoints } from "./batch-actions.ts";
import { createBullBoardRouter } from "./bull-board-router.ts";
import { createDashboardEndpoints } from "./dashboard-endpoints.ts";
import type { DashboardRoute } from "./dashboard-route.ts";
import { dashboardRoutes } from "./dashboard-routes.ts";
import { mountRoutes } from "./express-routes.ts";
import type { DashboardSource } from "./read-batches.ts";
import type { RedisOutageLog } from "./redis-outage-log.ts";
import { type PageContext, renderMessagePage } from "./render-pages.ts";
import { sameOriginGuard } from "./same-origin-guard.ts";
import { securityHeaders } from "./security-headers.ts";
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
  /** The price table items' costs are shown from (VEOQ_PRICES). Default none: not priced. */
  prices?: PriceTable | undefined;
  /** VEOQ_DAILY_BUDGET in micro-units, shown against today's spend. Default none (no daily cap). */
  dailyBudgetMicros?: number | undefined;
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
  const redisTimeoutMs = options.redisTimeoutMs ?? 10_000;
  const allowedHosts = options.allowedHosts ?? allowedHostsFor("localhost");
  const routes = createDashboardRoutes(options);
  /** The error pages' layout. */
  const page: PageContext = { readOnly, bullBoardPath: BULL_BOARD_PATH, refreshSeconds: 0 };

  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  if (options.requestSpan) app.use(options.requestSpan);

  // Every response, refusals included, forbids framing and sniffing.
  app.use(securityHeaders(BULL_BOARD_PATH));
  mountRoutes(
    app,
    routes.filter((route) => route.open),
  );
  app.use(requireAllowedHost(allowedHosts));
  if (options.credentials) app.use(requireBasicAuth(options.credentials));
  app.use(sameOriginGuard(allowedHosts));
  app.use((_request, response, next) => {
    response.set("Cache-Control", "no-store");
    next();
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
  mountRoutes(
    app,
    routes.filter((route) => !route.open),
  );

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
 * The dashboard's route table (dashboard-routes.ts) for these options: framework-free handlers
 * that createDashboardApp mounts on express, and a test can call directly.
 */
export function createDashboardRoutes(options: DashboardAppOptions): DashboardRoute[] {
  const readOnly = options.readOnly ?? false;
  const source: DashboardSource = {
    store: options.store,
    queues: options.queues,
    stuckRule: options.stuckRule ?? {
      pollDeadlineSeconds: CONFIG_DEFAULTS.pollDeadlineSeconds,
      timeScale: CONFIG_DEFAULTS.timeScale,
    },
    bullBoardPath: BULL_BOARD_PATH,
    dailyBudgetMicros: options.dailyBudgetMicros,
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
    redisTimeoutMs: options.redisTimeoutMs ?? 10_000,
    writeTimeoutMs: options.writeTimeoutMs ?? 5_000,
    now: options.now ?? Date.now,
    logger: options.logger,
    priceRetry: options.priceRetry,
    redisOutage: options.redisOutage,
    prices: options.prices,
  });
  const actions = createBatchActionEndpoints({
    store: options.store,
    queues: options.queues,
    readOnly,
    redisTimeoutMs: options.redisTimeoutMs ?? 10_000,
    writeTimeoutMs: options.writeTimeoutMs ?? 5_000,
    now: options.now ?? Date.now,
    logger: options.logger,
    prices: options.prices,
  });
  return dashboardRoutes({
    endpoints,
    actions,
    page,
    store: options.store,
    queues: options.queues,
    registry: options.registry ?? defaultRegistry(options.queues, options.store),
    liveSeconds: options.liveSeconds ?? 5,
    outputDir: options.outputDir,
    batchLimit: options.batchLimit ?? 50,
  });
}

/**
 * The gauges a worker's /metrics reads from Redis (queue depth, provider slots, money reserved,
 * batches paused by reason or cancelled, live workers per role), so the dashboard shows the same deployment-wide state.
 * The counters (completed, spent by model, ...) are per worker process and stay there.
 */
function defaultRegistry(queues: VeoqQueues, store: BatchStore): Registry {
  const registry = createMetricsRegistry();
  registerDeploymentMetrics(registry, { queues, redis: store.redis, prefix: store.prefix });
  return registry;
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
