import { problemJson } from "@veoq/api-schemas";
import { z } from "zod";
import {
  createDocument,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathsObject,
} from "zod-openapi";
import type { ApiRoute, RouteResponse } from "./api-route.ts";

const idempotencyKeyHeader = z.object({
  "idempotency-key": z.string().min(1).max(255).optional().meta({
    description:
      "Makes retries of this request safe for 24 h: the same key with the same request replays the first response (nothing enqueued or paid twice); with another request 422; while the first still runs 409.",
  }),
});

const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: problemJson } },
});

/**
 * The OpenAPI 3.1 document of the API, generated from the route table and its zod schemas
 * (zod-openapi, on zod 4's own JSON Schema output): never written by hand, so it cannot drift
 * from what the handlers parse and answer.
 */
export function createOpenApiDocument(routes: readonly ApiRoute[], version: string) {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of routes) {
    const mutating = route.method !== "get";
    const operation: ZodOpenApiOperationObject = {
      operationId: route.operationId,
      summary: route.summary,
      description: `Needs a token with the ${route.scope} scope.`,
      requestParams: {
        ...(route.params === undefined ? {} : { path: route.params as z.ZodObject }),
        ...(route.query === undefined ? {} : { query: route.query as z.ZodObject }),
        ...(mutating ? { header: idempotencyKeyHeader } : {}),
      },
      responses: {
        ...Object.fromEntries(
          Object.entries(route.responses).map(([status, response]) => [
            status,
            responseOf(response),
          ]),
        ),
        ...(route.query === undefined && route.body === undefined
          ? {}
          : { "400": problem("Malformed query or body") }),
        "401": problem("No valid bearer token"),
        ...(route.scope === "write" ? { "403": problem("The token has the read scope") } : {}),
        ...(route.params === undefined ? {} : { "404": problem("No such batch, item or file") }),
        ...(mutating
          ? {
              "409": problem(
                "The batch's state forbids it, or the Idempotency-Key's first request still runs",
              ),
            }
          : {}),
        ...(route.body === undefined
          ? {}
          : {
              "413": problem("The body is over the API's cap"),
              "415": problem("Unsupported Content-Type"),
            }),
        ...(route.body === undefined && !mutating
          ? {}
          : {
              "422": problem(
                "Invalid fields or manifest lines, or an Idempotency-Key reused with another request",
              ),
            }),
        "429": problem("Over the token's rate limit (see Retry-After)"),
        "500": problem("Internal error"),
      },
    };
    if (route.body !== undefined) {
      operation.requestBody = {
        required: !(route.body.kind === "json" && route.body.optional),
        content: {
          "application/json": { schema: route.body.schema },
          ...(route.body.kind === "manifest"
            ? {
                "application/x-ndjson": {
                  schema: z.string().meta({
                    description:
                      "The manifest itself, one JSON line per item, streamed and validated line by line (options in the query)",
                  }),
                },
              }
            : {}),
        },
      };
    }
    paths[route.path] = { ...paths[route.path], [route.method]: operation };
  }
  return createDocument({
    openapi: "3.1.0",
    info: {
      title: "veoq API",
      version,
      description:
        "Create, follow, control and collect veoq render batches over HTTP. Authenticate with `Authorization: Bearer <token>` (VEOQ_API_TOKENS). Errors are RFC 9457 application/problem+json.",
    },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    },
    security: [{ bearer: [] }],
    paths,
  });
}

function responseOf(response: RouteResponse) {
  if (response.schema === undefined && response.contentType === undefined) {
    return { description: response.description };
  }
  return {
    description: response.description,
    content: {
      [response.contentType ?? "application/json"]: {
        schema: response.schema ?? z.string().meta({ format: "binary" }),
      },
    },
  };
}
