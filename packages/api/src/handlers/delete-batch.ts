import { batchParams, deleteBatchQuery, deletedBatchJson } from "@veoq/api-schemas";
import { BatchBusyError, BatchInFlightError, deleteBatch } from "@veoq/pipeline";
import type { z } from "zod";
import { ApiProblem } from "../api-problem.ts";
import { defineRoute, json } from "../api-route.ts";
import { requireBatch } from "./read-batches.ts";

/**
 * DELETE /v1/batches/{id}: removes the batch from Redis (records, queue jobs, index entries), as
 * `veoq delete`; `?files=1` also removes its output files or objects. 409 while items are not
 * final (cancel it first) or a worker holds one of its jobs.
 */
export const deleteBatchRoute = defineRoute<
  z.output<typeof batchParams>,
  z.output<typeof deleteBatchQuery>
>({
  method: "delete",
  path: "/v1/batches/{id}",
  operationId: "deleteBatch",
  summary: "Delete a batch (refused while items are in flight, unless it is cancelled)",
  scope: "write",
  params: batchParams,
  query: deleteBatchQuery,
  responses: { 200: { description: "Deleted", schema: deletedBatchJson } },
  async handle(request, context) {
    const batchId = request.params.id;
    await requireBatch(context, batchId);
    const files = request.query.files === true;
    const summary = await deleteBatch(
      {
        store: context.store,
        queues: context.queues,
        control: context.control,
        outputDir: context.config.outputDir,
        objectStore: context.objectStore,
      },
      batchId,
      { files },
    ).catch((error: unknown) => {
      if (error instanceof BatchInFlightError || error instanceof BatchBusyError) {
        throw new ApiProblem("conflict", error.message);
      }
      throw error;
    });
    context.logger.info(
      { batchId, action: "delete", files, caller: request.caller.name },
      "api: batch delete",
    );
    return json(200, {
      batch_id: summary.batchId,
      items: summary.items,
      jobs: summary.jobs,
      index_entries: summary.indexEntries,
      keys: summary.keys,
      files: summary.files ?? null,
    });
  },
});
