import type { Request, RequestHandler } from "express";
import type { Endpoint, EndpointOutcome } from "./dashboard-endpoints.ts";
import { retryPlanJson } from "./item-json.ts";
import { type PageContext, renderMessagePage } from "./render-pages.ts";

/** How an HTML route shows an endpoint's data: a page, or a redirect (after a form post). */
export type HtmlView<T> = (data: T, request: Request) => string | { redirect: string };

/** An endpoint as HTML pages: its view for the data, one page per refusal. */
export function htmlRoute<T>(
  endpoint: Endpoint<T>,
  view: HtmlView<T>,
  page: PageContext,
): RequestHandler {
  return async (request, response) => {
    const outcome = await endpoint(request);
    if (outcome.kind !== "data") {
      const refusal = refusalOf(outcome);
      // A conflicting form post is shown again as a GET of the same path (its summary page).
      const next =
        outcome.kind === "conflict"
          ? { href: request.originalUrl, text: "Review the new summary" }
          : undefined;
      response
        .status(refusal.status)
        .type("html")
        .send(renderMessagePage(refusal.title, refusal.message, page, next));
      return;
    }
    const shown = view(outcome.data, request);
    if (typeof shown === "string") response.type("html").send(shown);
    else response.redirect(303, shown.redirect);
  };
}

/**
 * An endpoint as JSON: the data through `toJson` (the shared schema), a refusal as `{ error }` (a
 * conflicting retry also with the new `plan`).
 */
export function jsonRoute<T>(
  endpoint: Endpoint<T>,
  toJson: (data: T, request: Request) => unknown = (data) => data,
): RequestHandler {
  return async (request, response) => {
    const outcome = await endpoint(request);
    if (outcome.kind !== "data") {
      const refusal = refusalOf(outcome);
      const plan =
        outcome.kind === "conflict" && outcome.retryPlan
          ? { plan: retryPlanJson(outcome.retryPlan) }
          : {};
      response.status(refusal.status).json({ error: refusal.error, ...plan });
      return;
    }
    response.json(toJson(outcome.data, request));
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
  if (outcome.kind === "conflict") {
    return {
      status: 409,
      title: "Nothing was retried",
      message: `${outcome.message}: the batch's failures changed since its summary.`,
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
