import path from "node:path";
import { estimateBody, estimateResultJson } from "@veoq/api-schemas";
import { estimateToJson } from "@veoq/pricing";
import { ApiProblem } from "../api-problem.ts";
import { defineRoute, json } from "../api-route.ts";

/**
 * POST /v1/estimate: what a manifest would cost (as `veoq estimate`), nothing sent or stored.
 * Invalid lines are listed and left out of the estimate.
 */
export const estimate = defineRoute<undefined, undefined, { items?: unknown[] } | undefined>({
  method: "post",
  path: "/v1/estimate",
  operationId: "estimate",
  summary: "Price a manifest without enqueuing it",
  scope: "read",
  body: { kind: "manifest", schema: estimateBody },
  responses: { 200: { description: "The estimate", schema: estimateResultJson } },
  async handle(request, context) {
    const manifest = request.manifest;
    if (manifest === undefined) throw new ApiProblem("bad_request", "a manifest body is required");
    return json(200, {
      ...estimateToJson(manifest.estimate),
      lines: manifest.lines,
      valid: manifest.valid,
      invalid: manifest.invalid,
      invalid_lines: manifest.invalidLines,
      // The file name only: the server's folders are none of the caller's business.
      prices: path.basename(context.prices.path),
    });
  },
});
