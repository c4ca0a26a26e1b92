import { batchListJson, batchObjectJson, batchParams, listBatchesQuery } from "@veoq/api-schemas";
import { credentialsStopReason } from "@veoq/pipeline";
import type { z } from "zod";
import { ApiProblem } from "../api-problem.ts";
import { defineRoute, json } from "../api-route.ts";
import { readBatchObject, readBatchObjects } from "../read-batch-objects.ts";

/** GET /v1/batches: the newest batches (as `veoq status --json`), newest first. */
export const listBatches = defineRoute<undefined, z.output<typeof listBatchesQuery>>({
  method: "get",
  path: "/v1/batches",
  operationId: "listBatches",
  summary: "List the newest batches",
  scope: "read",
  query: listBatchesQuery,
  responses: { 200: { description: "The newest batches", schema: batchListJson } },
  async handle(request, context) {
    const ids = await context.store.listBatchIds(request.query.limit ?? 50);
    const [batches, submitPaused, stop] = await Promise.all([
      readBatchObjects(context, ids),
      context.queues.submit.isPaused(),
      credentialsStopReason(context.store),
    ]);
    return json(200, { batches, submit_paused: submitPaused, credentials_stop: stop ?? null });
  },
});

/** GET /v1/batches/{id}: one batch. */
export const getBatch = defineRoute<z.output<typeof batchParams>>({
  method: "get",
  path: "/v1/batches/{id}",
  operationId: "getBatch",
  summary: "Get a batch: counts, progress, control and spend",
  scope: "read",
  params: batchParams,
  responses: { 200: { description: "The batch", schema: batchObjectJson } },
  async handle(request, context) {
    return json(200, await requireBatchObject(context, request.params.id));
  },
});

export async function requireBatchObject(
  context: Parameters<typeof readBatchObject>[0],
  id: string,
) {
  const batch = await readBatchObject(context, id);
  if (batch === undefined) throw noBatch(id);
  return batch;
}

export const noBatch = (id: string) =>
  new ApiProblem("not_found", `no batch ${JSON.stringify(id)}`);

/** Throws 404 unless the batch exists. */
export async function requireBatch(
  context: Parameters<typeof readBatchObject>[0],
  id: string,
): Promise<void> {
  if ((await context.store.getBatch(id)) === undefined) throw noBatch(id);
}
