import {
  batchParams,
  deliveryParams,
  webhookDeliveryJson,
  webhookDeliveryListJson,
} from "@veoq/api-schemas";
import { readDeliveryLog, replayDelivery } from "@veoq/webhooks";
import type { z } from "zod";
import { ApiProblem } from "../api-problem.ts";
import { defineRoute, json } from "../api-route.ts";
import { requireBatch } from "./read-batches.ts";

/** GET /v1/batches/{id}/webhooks: the batch's webhook deliveries with each try's status. */
export const listWebhookDeliveries = defineRoute<z.output<typeof batchParams>>({
  method: "get",
  path: "/v1/batches/{id}/webhooks",
  operationId: "listWebhookDeliveries",
  summary: "A batch's webhook delivery log: each event, its endpoint, state and tries",
  scope: "read",
  params: batchParams,
  responses: {
    200: { description: "The deliveries, oldest first", schema: webhookDeliveryListJson },
  },
  async handle(request, context) {
    await requireBatch(context, request.params.id);
    const deliveries = await readDeliveryLog(
      { redis: context.redis, prefix: context.config.prefix },
      request.params.id,
    );
    return json(200, { batch_id: request.params.id, deliveries });
  },
});

/**
 * POST /v1/webhooks/{delivery_id}/replay: sends a delivery again (same body, same `webhook-id`)
 * through the delivery queue with the full retry schedule; re-enables an endpoint a 410 disabled.
 */
export const replayWebhookDelivery = defineRoute<z.output<typeof deliveryParams>>({
  method: "post",
  path: "/v1/webhooks/{delivery_id}/replay",
  operationId: "replayWebhookDelivery",
  summary: "Send a webhook delivery again (same body and webhook-id)",
  scope: "write",
  params: deliveryParams,
  responses: { 202: { description: "The replay is queued", schema: webhookDeliveryJson } },
  async handle(request, context) {
    const deliveryId = request.params.delivery_id;
    const replayed = await replayDelivery(
      {
        redis: context.redis,
        prefix: context.config.prefix,
        retryScheduleMs: context.config.webhookRetrySchedule,
      },
      deliveryId,
    );
    if (replayed === undefined) {
      throw new ApiProblem("not_found", `no webhook delivery ${JSON.stringify(deliveryId)}`);
    }
    context.logger.info(
      { deliveryId, batchId: replayed.batch_id, caller: request.caller.name },
      "api: webhook delivery replayed",
    );
    return json(202, replayed);
  },
});
