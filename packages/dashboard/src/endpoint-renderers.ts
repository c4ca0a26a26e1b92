import { toRetryPlanJson } from "@veoq/report";
import type { Endpoint, EndpointOutcome } from "./dashboard-endpoints.ts";
import type { DashboardRequest, RouteHandler } from "./dashboard-route.ts";
import { type PageContext, renderMessagePage } from "./render-pages.ts";

/** How an HTML route shows an endpoint's data: a page, or a redirect (after a form post). */
export type HtmlView<T> = (data: T, request: DashboardRequest) => string | { redirect: string };

/** An endpoint as HTML pages: its view for the data, one page per refusal. */
export function htmlRoute<T>(
  endpoint: Endpoint<T>,
  view: HtmlView<T>,
  page: PageContext,
): RouteHandler {
  return async (request) => {
    const outcome = await endpoint(request);
    if (outcome.kind !== "data") {
      const refusal = refusalOf(outcome);
      // A conflicting form post is shown again as a GET of the same path (its summary page).
      const next =
        outcome.kind === "conflict"
          ? { href: request.url, text: "Review the new summary" }
          : undefined;
      return {
        status: refusal.status,
        html: renderMessagePage(refusal.title, refusal.message, page, next),
      };
    }
    const shown = view(outcome.data, request);
    return typeof shown === "string"
      ? { status: 200, html: shown }
      : { status: 303, redirect: shown.redirect };
  };
}

/**
 * An endpoint as JSON: the data through `toJson` (the shared schema), a refusal as `{ error }` (a
 * conflicting retry also with the new `plan`).
 */
export function jsonRoute<T>(
  endpoint: Endpoint<T>,
  toJson: (data: T, request: DashboardRequest) => unknown = (data) => data,
): RouteHandler {
  return async (request) => {
    const outcome = await endpoint(request);
    if (outcome.kind !== "data") {
      const refusal = refusalOf(outcome);
      const plan =
        outcome.kind === "conflict" && outcome.retryPlan
          ? { plan: toRetryPlanJson(outcome.retryPlan) }
          : {};
      return { status: refusal.status, body: { error: refusal.error, ...plan } };
    }
    return { status: 200, body: toJson(outcome.data, request) };
  };
}

interface Refusal {
  status: number;
  /** Title and sentence of the HTML page. */
  title: string;
  message: string;
  /** The JSON `error`. */
  error: string;
}

/** The words and status of each refusal, for both renderers. */
function refusalOf(outcome: Exclude<EndpointOutcome<unknown>, { kind: "data" }>): Refusal {
  if (outcome.kind === "read-only") {
    return {
      status: 403,
      title: "Read-only",
      message: "This dashboard is read-only (DASHBOARD_READ_ONLY).",
      error: "read-only dashboard",
    };
  }
  if (outcome.kind === "invalid") {
    return {
      status: 400,
      title: "Not applied",
      message: `${outcome.message}; nothing was changed.`,
      error: outcome.message,
    };
  }
  if (outcome.kind === "conflict") {
    return {
      status: 409,
      title: "Nothing was retried",
      message: `${outcome.message}: the batch changed since its summary.`,
      error: outcome.message,
    };
  }
  return {
    status: 404,
    title: `No such ${outcome.what}`,
    message: `No ${outcome.what} ${outcome.id}.`,
    error: `no ${outcome.what} ${outcome.id}`,
  };
}
