import path from "node:path";
import { checkReadiness, type Registry, readinessText } from "@veoq/metrics";
import { type BatchStore, TIMELINE_BUCKET_MS, type VeoqQueues } from "@veoq/pipeline";
import { fromMicros } from "@veoq/pricing";
import { toRetryJson, toRetryPlanJson } from "@veoq/report";
import {
  toBatchViewJson,
  toItemDetailJson,
  toItemPageJson,
  toOverviewJson,
  toSearchJson,
} from "./api-json.ts";
import type { BatchActionEndpoints } from "./batch-actions.ts";
import { BATCH_PAGE_SCRIPT } from "./batch-page-script.ts";
import {
  type DashboardEndpoints,
  LIFECYCLE_ACTIONS,
  type LifecycleAction,
} from "./dashboard-endpoints.ts";
import type { DashboardRequest, DashboardRoute, RouteHandler } from "./dashboard-route.ts";
import { htmlRoute, jsonRoute } from "./endpoint-renderers.ts";
import { localInputImage } from "./read-item-extras.ts";
import { renderCancelledRetryPage, renderCancelPage } from "./render-action-pages.ts";
import { BATCH_PAGE_SCRIPT_PATH, renderBatchPage } from "./render-batch-page.ts";
import { renderItemPage } from "./render-item-page.ts";
import { batchFilterOf, renderOverviewPage } from "./render-overview-page.ts";
import { type PageContext, renderSearchPage } from "./render-pages.ts";
import { renderRetryPage } from "./render-retry-page.ts";
import { downloadFailures, downloadResults } from "./result-downloads.ts";
import { serveItemFile } from "./serve-item-file.ts";

/** What the routes are built from. */
export interface DashboardRoutesContext {
  endpoints: DashboardEndpoints;
  actions: BatchActionEndpoints;
  page: PageContext;
  store: BatchStore;
  queues: VeoqQueues;
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
  const { endpoints, actions, page, store } = context;
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
            notice: noticeOf(request),
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
            notice: noticeOf(request),
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
    get("/batches/:id/items/:customId/inputs/:index", async (request) => {
      const index = Number(request.params.index);
      const file = Number.isSafeInteger(index)
        ? await localInputImage(
            context.queues,
            String(request.params.id),
            String(request.params.customId),
            index,
          )
        : undefined;
      return file === undefined
        ? { status: 404, text: "no such input image here\n", contentType: "text/plain" }
        : { status: 200, file: { root: path.dirname(file), relative: path.basename(file) } };
    }),
    get("/batches/:id/results.jsonl", downloadResults(store)),
    get("/batches/:id/failures.jsonl", downloadFailures(store)),
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
      post(`/batches/:id/${action}`, async (request) => {
        // Cancel is never one click: a post without the confirmation's field shows it first.
        if (action === "cancel" && !page.readOnly && request.body?.confirm !== "1") {
          return { status: 303, redirect: `${batchHref(request)}/cancel` };
        }
        return htmlRoute(
          (request) => endpoints.lifecycle(withAction(request, action)),
          (_result, request) => ({ redirect: batchHref(request) }),
          page,
        )(request);
      }),
      post(
        `/api/batches/:id/${action}`,
        jsonRoute((request) => endpoints.lifecycle(withAction(request, action))),
      ),
    ]),
    // Cancel's confirmation: what cancelling does, and the button that does it.
    get(
      "/batches/:id/cancel",
      htmlRoute(
        async (request) => (page.readOnly ? { kind: "read-only" } : actions.cancelPreview(request)),
        (preview) => renderCancelPage(preview, page),
        page,
      ),
    ),
    post(
      "/batches/:id/budget",
      htmlRoute(
        actions.budget,
        (result, request) => ({
          redirect: `${batchHref(request)}?budget=${result.budgetMicros}${result.pausedByBudget ? "&budget_paused=1" : ""}`,
        }),
        page,
      ),
    ),
    post(
      "/api/batches/:id/budget",
      jsonRoute(actions.budget, (result) => ({
        batch_id: result.batchId,
        budget_micros: result.budgetMicros,
        spent_micros: result.spentMicros,
        reserved_micros: result.reservedMicros,
        resumed: result.resumed,
        paused_by_budget: result.pausedByBudget,
      })),
    ),
    post(
      "/resume-submissions",
      htmlRoute(
        actions.resumeSubmissions,
        (result) => ({
          redirect: `/?resumed=${result.resumed ? 1 : 0}`,
        }),
        page,
      ),
    ),
    post("/api/resume-submissions", jsonRoute(actions.resumeSubmissions)),
    get(
      "/batches/:id/retry-cancelled",
      htmlRoute(actions.cancelledRetryPlan, (view) => renderCancelledRetryPage(view, page), page),
    ),
    post(
      "/batches/:id/retry-cancelled",
      htmlRoute(
        actions.retryCancelled,
        (summary, request) => ({
          redirect: `${batchHref(request)}?requeued=${summary.retried}&missing=${summary.skipped.length}`,
        }),
        page,
      ),
    ),
    get(
      "/api/batches/:id/cancelled-retry-plan",
      jsonRoute(actions.cancelledRetryPlan, ({ plan, estimatedCostUsd }) => ({
        batch_id: plan.batchId,
        cancelled: plan.cancelled,
        submit: plan.submit,
        refollow: plan.refollow,
        submits_by_model: plan.submitsByModel,
        estimated_cost:
          estimatedCostUsd === undefined ? null : { amount: estimatedCostUsd, currency: "USD" },
      })),
    ),
    post("/api/batches/:id/retry-cancelled", jsonRoute(actions.retryCancelled)),
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
    get(
      "/api/batches/:id/timeline",
      jsonRoute(endpoints.batch, (batch) => ({
        batch_id: batch.id,
        bucket_seconds: TIMELINE_BUCKET_MS / 1000,
        points: (batch.timeline ?? []).map((point) => ({
          at: new Date(point.at).toISOString(),
          completed: point.completed,
          failed: point.failed,
          spent: { amount: fromMicros(point.spentMicros), currency: batch.spend.currency ?? "USD" },
        })),
      })),
    ),
    get("/api/search", jsonRoute(endpoints.search, toSearchJson)),
  ];
}

/** The line a page shows after an action redirected to it (from the redirect's query). */
function noticeOf(request: DashboardRequest): string | undefined {
  const number = (name: string) => {
    const value = Number(request.query[name]);
    return Number.isSafeInteger(value) ? value : undefined;
  };
  const missing = number("missing") ?? 0;
  const lost = missing > 0 ? `; ${missing} could not be re-queued (veoq retry says why)` : "";
  const retried = number("retried");
  if (retried !== undefined) {
    return `${retried} failed item${retried === 1 ? "" : "s"} re-queued${lost}.`;
  }
  const requeued = number("requeued");
  if (requeued !== undefined) {
    return `${requeued} cancelled item${requeued === 1 ? "" : "s"} re-queued${lost}.`;
  }
  const budget = number("budget");
  if (budget !== undefined) {
    return `Budget set to ${(budget / 1_000_000).toFixed(2)}${request.query.budget_paused === "1" ? "; what the batch spent and reserved already reaches it, so it stays paused by its budget" : ""}.`;
  }
  const resumed = number("resumed");
  if (resumed !== undefined) {
    return resumed === 1 ? "Submissions resumed." : "Submissions were not stopped.";
  }
  return undefined;
}

/** The request with the lifecycle action its route names (the routes are one per action). */
function withAction(request: DashboardRequest, action: LifecycleAction): DashboardRequest {
  return { ...request, params: { ...request.params, action } };
}
