import path from "node:path";
import { fileParams } from "@veoq/api-schemas";
import type { z } from "zod";
import { ApiProblem } from "../api-problem.ts";
import { defineRoute } from "../api-route.ts";

/** How long a presigned S3 GET URL of the files route stays valid. */
export const PRESIGNED_URL_SECONDS = 15 * 60;

/**
 * GET /v1/files/{batch}/{custom_id}/{n}: the n-th saved video of an item. Only a file the
 * item's record names is served (never a path from the request): from the output dir (streamed,
 * with ranges), or for an `s3://` output a 302 to a presigned GET URL of the object.
 */
export const getFile = defineRoute<z.output<typeof fileParams>>({
  method: "get",
  path: "/v1/files/{batch}/{custom_id}/{n}",
  operationId: "getFile",
  summary: "Download a saved video (streamed, or a redirect to a presigned S3 URL)",
  scope: "read",
  params: fileParams,
  responses: {
    200: { description: "The video", contentType: "video/mp4" },
    302: { description: "Redirect to a presigned GET URL of the object (S3 outputs)" },
  },
  async handle(request, context) {
    const { batch, custom_id: customId, n } = request.params;
    const result = await context.store.itemResult(batch, customId);
    const file = result?.files.find((f) => f.index === n);
    const missing = () =>
      new ApiProblem(
        "not_found",
        `item ${JSON.stringify(customId)} of batch ${JSON.stringify(batch)} has no saved file ${n}`,
      );
    if (file === undefined) throw missing();
    if (file.uri?.startsWith("s3://")) {
      if (context.objectStore === undefined) {
        throw new ApiProblem(
          "not_found",
          `${file.uri} is in a bucket this API has no access to (VEOQ_OUTPUT_URL)`,
        );
      }
      return {
        kind: "redirect",
        location: await context.objectStore.presignedGetUrl(file.uri, PRESIGNED_URL_SECONDS),
      };
    }
    const root = path.resolve(context.config.outputDir);
    const relative = path.relative(root, path.resolve(root, file.path));
    if (relative === "" || relative.startsWith("..") || path.isAbsolute(relative)) throw missing();
    return { kind: "file", root, relative };
  },
});
