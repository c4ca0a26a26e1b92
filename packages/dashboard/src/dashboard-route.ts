/**
 * The dashboard's routes without a web framework (as bull-board's core keeps its routes apart from
 * its express adapter): each endpoint is a plain function from the request's data to a response
 * value, and one table (dashboard-routes.ts) says which method and path runs which. The express
 * adapter (express-routes.ts) is the only part that knows express.
 */

/** What an endpoint reads of a request. */
export interface DashboardRequest {
  /** The path's named parts (`:id`, `:customId`, ...), decoded. */
  params: Readonly<Record<string, string>>;
  /** The query string's fields. */
  query: Readonly<Record<string, unknown>>;
  /** A form or JSON body's fields (POST), else undefined. */
  body: Readonly<Record<string, unknown>> | undefined;
  /** The path and query as requested (a refusal page links back to it). */
  url: string;
}

/** What an endpoint answers; the adapter writes it as it is. */
export type DashboardResponse =
  | { status: number; html: string }
  /** JSON. */
  | { status: number; body: unknown }
  | { status: number; text: string; contentType: string }
  | { status: 303; redirect: string }
  /** Lines written as they come (a download), with backpressure. */
  | { status: 200; lines: AsyncIterable<string>; contentType: string; filename: string }
  /** A file under `root` (ranges served, so a video can seek). */
  | { status: 200; file: { root: string; relative: string } };

export type RouteHandler = (request: DashboardRequest) => Promise<DashboardResponse>;

export interface DashboardRoute {
  method: "GET" | "POST";
  /** An express-style path (`/batches/:id`). */
  path: string;
  handler: RouteHandler;
  /** Served before the Host, auth and same-origin checks (the probes). Default false. */
  open?: boolean;
}

/** A request's field from its form or JSON body, else its query string. */
export function fieldOf(request: DashboardRequest, name: string): unknown {
  const body = request.body;
  if (body && name in body) return body[name];
  return request.query[name];
}
