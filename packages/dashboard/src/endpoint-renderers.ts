import type { Request, RequestHandler } from "express";
import type { Endpoint, EndpointOutcome } from "./dashboard-endpoints.ts";
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
      response
        .status(refusal.status)
        .type("html")
        .send(renderMessagePage(refusal.title, refusal.message, page));
      return;
    }
    const shown = view(outcome.data, request);
    if (typeof shown === "string") response.type("html").send(shown);
    else response.redirect(303, shown.redirect);
  };
}

/** An endpoint as JSON: the data as is, a refusal as `{ error }`. */
export function jsonRoute<T>(endpoint: Endpoint<T>): RequestHandler {
  return async (request, response) => {
    const outcome = await endpoint(request);
    if (outcome.kind !== "data") {
      const refusal = refusalOf(outcome);
      response.status(refusal.status).json({ error: refusal.error });
      return;
    }
    response.json(outcome.data);
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
  return {
    status: 404,
    title: `No such ${outcome.what}`,
    message: `No ${outcome.what} ${outcome.id}.`,
    error: `no ${outcome.what} ${outcome.id}`,
  };
}
