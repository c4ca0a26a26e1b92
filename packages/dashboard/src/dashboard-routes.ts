import { checkReadiness, type Registry, readinessText } from "@veoq/metrics";
import type { BatchStore } from "@veoq/pipeline";
import { toRetryJson, toRetryPlanJson } from "@veoq/report";
import {
  toBatchViewJson,
  toItemDetailJson,
  toItemPageJson,
  toOverviewJson,
  toSearchJson,
} from "./api-json.ts";
import { BATCH_PAGE_SCRIPT } from "./batch-page-script.ts";
import {
  type DashboardEndpoints,
  LIFECYCLE_ACTIONS,
  type LifecycleAction,
} from "./dashboard-endpoints.ts";
import type { DashboardRequest, DashboardRoute, RouteHandler } from "./dashboard-route.ts";
import { htmlRoute, jsonRoute } from "./endpoint-renderers.ts";
import { BATCH_PAGE_SCRIPT_PATH, renderBatchPage } from "./render-batch-page.ts";
import { renderItemPage } from "./render-item-page.ts";
import { batchFilterOf, renderOverviewPage } from "./render-overview-page.ts";
import { type PageContext, renderSearchPage } from "./render-pages.ts";
import { renderRetryPage } from "./render-retry-page.ts";
import { serveItemFile } from "./serve-item-file.ts";

/** What the routes are built from. */
export interface DashboardRoutesContext {
  endpoints: DashboardEndpoints;
  page: PageContext;
  store: BatchStore;
  registry: Registry;
  /** Seconds between the batch page's live updates (0 = none). */
  liveSeconds: number;
  outputDir: string | undefined;
  /** Newest batches on the overview. */
  batchLimit: number;
}

const batchHref = (request: DashboardRequest) =>
  `/batches/${encodeURIComponent(String(request.params.id))}`;

/**
 * Every route of the dashboard's own pages and API, in one table (Bull Board is mounted beside it
 * at /queues by its own adapter). Each handler is framework-free; express-routes.ts mounts them.
 */
export function dashboardRoutes(context: DashboardRoutesContext): DashboardRoute[] {
  const { endpoints, page, store } = context;
  const get = (path: string, handler: RouteHandler, open = false): DashboardRoute => ({
    method: "GET",
    path,
    handler,
    open,
  });
  const post = (path: string, handler: RouteHandler): DashboardRoute => ({
    method: "POST",
    path,
    handler,
  });
  return [
    // Probes (orchestrators, load balancers) need neither credentials nor a known Host (they
    // often use the pod's address); both answers are terse and name no host.
    get("/healthz", async () => ({ status: 200, text: "ok\n", contentType: "text/plain" }), true),
    get(
      "/readyz",
      async () => {
        const state = await checkReadiness(store);
        return {
          status: state.ready ? 200 : 503,
          text: readinessText(state),
          contentType: "text/plain",
        };
      },
      true,
    ),
    get("/metrics", async () => ({
      status: 200,
      text: await context.registry.metrics(),
      contentType: context.registry.contentType,
    })),
    get(
      "/",
      htmlRoute(
        endpoints.overview,
        (snapshot, request) =>
          renderOverviewPage(snapshot, page, {
            notice: retryNotice(request),
            filter: batchFilterOf(request.query.show),
            batchLimit: context.batchLimit,
          }),
        page,
      ),
    ),
    get(BATCH_PAGE_SCRIPT_PATH, async () => ({
      status: 200,
      text: BATCH_PAGE_SCRIPT,
      contentType: "text/javascript",
    })),
    get(
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
          renderBatchPage(batch, items, page, {
            notice: retryNotice(request),
            liveSeconds: context.liveSeconds,
          }),
        page,
      ),
    ),
    get(
      "/batches/:id/items/:customId",
      htmlRoute(endpoints.item, (detail) => renderItemPage(detail, page), page),
    ),
    get("/batches/:id/items/:customId/files/:index", serveItemFile(store, context.outputDir)),
    // The retry's summary page asks before paying; read-only dashboards refuse it like the post.
    get(
      "/batches/:id/retry",
      htmlRoute(
        async (request) => (page.readOnly ? { kind: "read-only" } : endpoints.retryPlan(request)),
        (view) => renderRetryPage(view, page),
        page,
      ),
    ),
    post("/batches/:id/retry", async (request) => {
      // A post without the summary's agreed paid count (an old form, a hand-made post) is shown
      // the summary first; nothing is re-queued.
      if (!page.readOnly && request.body?.max_resubmits === undefined) {
        return { status: 303, redirect: `${batchHref(request)}/retry` };
      }
      return htmlRoute(
        endpoints.retry,
        (summary, request) => ({
          redirect: `${batchHref(request)}?retried=${summary.retried}&missing=${summary.skipped.length}`,
        }),
        page,
      )(request);
    }),
    ...LIFECYCLE_ACTIONS.flatMap((action) => [
      post(
        `/batches/:id/${action}`,
        htmlRoute(
          (request) => endpoints.lifecycle(withAction(request, action)),
          (_result, request) => ({ redirect: batchHref(request) }),
          page,
        ),
      ),
      post(
        `/api/batches/:id/${action}`,
        jsonRoute((request) => endpoints.lifecycle(withAction(request, action))),
      ),
    ]),
    get(
      "/search",
      htmlRoute(endpoints.search, ({ query, hits }) => renderSearchPage(query, hits, page), page),
    ),
    get("/api/batches", jsonRoute(endpoints.overview, toOverviewJson)),
    get("/api/batches/:id", jsonRoute(endpoints.batch, toBatchViewJson)),
    get("/api/batches/:id/items", jsonRoute(endpoints.items, toItemPageJson)),
    get("/api/batches/:id/items/:customId", jsonRoute(endpoints.item, toItemDetailJson)),
    get(
      "/api/batches/:id/retry-plan",
      jsonRoute(endpoints.retryPlan, (view) => toRetryPlanJson(view.plan, view.estimatedCostUsd)),
    ),
    post(
      "/api/batches/:id/retry",
      jsonRoute(endpoints.retry, (summary) => toRetryJson(summary)),
    ),
    get("/api/search", jsonRoute(endpoints.search, toSearchJson)),
  ];
}

function retryNotice(request: DashboardRequest): string | undefined {
  const retried = Number(request.query.retried);
  const missing = Number(request.query.missing);
  if (!Number.isInteger(retried)) return undefined;
  const lost =
    Number.isInteger(missing) && missing > 0
      ? `; ${missing} could not be retried (veoq retry says why)`
      : "";
  return `${retried} failed item${retried === 1 ? "" : "s"} re-queued${lost}.`;
}

/** The request with the lifecycle action its route names (the routes are one per action). */
function withAction(request: DashboardRequest, action: LifecycleAction): DashboardRequest {
  return { ...request, params: { ...request.params, action } };
}
