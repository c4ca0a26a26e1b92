import { batchParams, cancelBody, lifecycleJson } from "@veoq/api-schemas";
import { cancelBatch, pauseBatch, resumeBatch } from "@veoq/pipeline";
import type { z } from "zod";
import { lifecycleOf } from "../api-context.ts";
import { defineRoute, json } from "../api-route.ts";
import { requireBatch } from "./read-batches.ts";

type Params = z.output<typeof batchParams>;

/** POST /v1/batches/{id}/pause: no new creates for the batch until it is resumed. */
export const pauseBatchRoute = defineRoute<Params, undefined, Record<string, never> | undefined>({
  method: "post",
  path: "/v1/batches/{id}/pause",
  operationId: "pauseBatch",
  summary: "Pause a batch (tasks already created finish)",
  scope: "write",
  params: batchParams,
  responses: { 200: { description: "Paused", schema: lifecycleJson } },
  async handle(request, context) {
    await requireBatch(context, request.params.id);
    const changed = await pauseBatch(lifecycleOf(context), request.params.id);
    log(context, request.params.id, "pause", changed, request.caller.name);
    return json(200, { batch_id: request.params.id, action: "pause", changed });
  },
});

/** POST /v1/batches/{id}/resume: lifts a pause (any reason); waiting items go at once. */
export const resumeBatchRoute = defineRoute<Params>({
  method: "post",
  path: "/v1/batches/{id}/resume",
  operationId: "resumeBatch",
  summary: "Resume a paused batch",
  scope: "write",
  params: batchParams,
  responses: { 200: { description: "Resumed", schema: lifecycleJson } },
  async handle(request, context) {
    await requireBatch(context, request.params.id);
    const changed = await resumeBatch(lifecycleOf(context), request.params.id);
    log(context, request.params.id, "resume", changed, request.caller.name);
    return json(200, { batch_id: request.params.id, action: "resume", changed });
  },
});

/** POST /v1/batches/{id}/cancel: no more creates; queued items end as cancelled. */
export const cancelBatchRoute = defineRoute<Params, undefined, z.output<typeof cancelBody>>({
  method: "post",
  path: "/v1/batches/{id}/cancel",
  operationId: "cancelBatch",
  summary: "Cancel a batch (`drop_in_flight` also stops following created tasks)",
  scope: "write",
  params: batchParams,
  body: { kind: "json", schema: cancelBody, optional: true },
  responses: { 200: { description: "Cancelled", schema: lifecycleJson } },
  async handle(request, context) {
    await requireBatch(context, request.params.id);
    const summary = await cancelBatch(lifecycleOf(context), request.params.id, {
      dropInFlight: request.body.drop_in_flight === true,
    });
    log(context, request.params.id, "cancel", summary.changed, request.caller.name);
    return json(200, {
      batch_id: request.params.id,
      action: "cancel",
      changed: summary.changed,
      cancelled: summary.cancelled,
      in_flight: summary.inFlight,
    });
  },
});

function log(
  context: Parameters<typeof lifecycleOf>[0],
  batchId: string,
  action: string,
  changed: boolean,
  caller: string,
): void {
  context.logger.info({ batchId, action, changed, caller }, `api: batch ${action}`);
}
