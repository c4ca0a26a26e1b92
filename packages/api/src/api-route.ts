import type { z } from "zod";
import type { ApiContext } from "./api-context.ts";
import type { ApiCaller, TokenScope } from "./api-tokens.ts";
import type { StagedManifest } from "./stage-manifest.ts";

export type HttpMethod = "get" | "post" | "put" | "delete";

/** What a handler answers; the adapter writes it (JSON, a JSONL stream, a redirect, a file). */
export type ApiResult =
  | {
      kind: "json";
      status: number;
      body: unknown;
      /** Default application/json; problems are application/problem+json. */
      contentType?: string;
      headers?: Record<string, string>;
    }
  | { kind: "stream"; status: number; contentType: string; lines: AsyncIterable<string> }
  | { kind: "redirect"; location: string }
  /** A file under `root` (the output dir), sent with range support. */
  | { kind: "file"; root: string; relative: string };

/** A request as a handler sees it: parsed params, query and body, and who is asking. */
export interface ApiRequest<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  caller: ApiCaller;
  /** The manifest of a `manifest` body, validated and staged (removed after the handler). */
  manifest: StagedManifest | undefined;
}

/** The body a route reads. */
export type RouteBody<B> =
  /** JSON (read whole, up to VEOQ_API_MAX_BODY_BYTES); `optional`: an empty body is `{}`. */
  | { kind: "json"; schema: z.ZodType<B>; optional?: boolean }
  /**
   * A manifest: `application/x-ndjson` streamed line by line (options in the query), or
   * `application/json` whose `items` are the lines (the other fields are the body).
   */
  | { kind: "manifest"; schema: z.ZodType<B> };

/** One response a route documents. */
export interface RouteResponse {
  description: string;
  schema?: z.ZodType;
  /** Default application/json. */
  contentType?: string;
}

/** One endpoint: where it is, who may call it, what it reads and answers, and its handler. */
export interface RouteSpec<P, Q, B> {
  method: HttpMethod;
  /** OpenAPI form: `/v1/batches/{id}`. */
  path: string;
  operationId: string;
  summary: string;
  /** `write` for every route that changes something. */
  scope: TokenScope;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: RouteBody<B>;
  /** The success responses (problems are documented for every route by the document). */
  responses: Record<number, RouteResponse>;
  handle(request: ApiRequest<P, Q, B>, context: ApiContext): Promise<ApiResult>;
}

/** A route of the table, its types erased. */
// biome-ignore lint/suspicious/noExplicitAny: the table holds routes of every shape
export type ApiRoute = RouteSpec<any, any, any>;

/** Declares a route with its types checked against its schemas. */
export function defineRoute<P = undefined, Q = undefined, B = undefined>(
  spec: RouteSpec<P, Q, B>,
): ApiRoute {
  return spec;
}

/** A JSON answer. */
export const json = (
  status: number,
  body: unknown,
  headers?: Record<string, string>,
): ApiResult => ({
  kind: "json",
  status,
  body,
  ...(headers === undefined ? {} : { headers }),
});
