import { batchJson, batchSpendJson, resultJson } from "@veoq/report";
import { z } from "zod";

/**
 * The bodies veoq sends, in Standard Webhooks' shape `{type, timestamp, data}`: `data` is the
 * batch or the item in the snake_case shapes of `--json` (packages/report), with links to
 * veoq's own copy of each video (the API's files route and, in a bucket, the `s3://` URI), never
 * to the provider's expiring URL.
 */

/** A batch's money in its webhook: `veoq status --json`'s `spend` (report's batchSpendJson). */
export const webhookSpendJson = batchSpendJson;

/** The batch in batch.completed and batch.paused. */
export const webhookBatchData = batchJson.extend({
  spend: webhookSpendJson,
  /** `GET /v1/batches/{id}/results` (absolute with VEOQ_API_PUBLIC_URL). */
  results_url: z.string(),
});

export const batchPausedData = webhookBatchData.extend({
  /** budget, daily_budget or credentials. */
  reason: z.string(),
  /** For a credentials stop: the provider's refusal. */
  detail: z.string().nullable(),
});

const finalResult = resultJson.options[0];

/** The item in item.failed and item.completed: its result, each file with its link. */
export const webhookItemData = finalResult.extend({
  files: z.array(
    finalResult.shape.files.element.extend({
      index: z.number().int(),
      /** `GET /v1/files/{batch}/{custom_id}/{n}` (absolute with VEOQ_API_PUBLIC_URL). */
      url: z.string(),
    }),
  ),
});

const envelope = <T extends string, D extends z.ZodType>(type: T, data: D) =>
  z.object({
    type: z.literal(type),
    /** When the transition happened (ISO 8601). */
    timestamp: z.iso.datetime(),
    data,
  });

export const webhookEventSchema = z.discriminatedUnion("type", [
  envelope("batch.completed", webhookBatchData),
  envelope("batch.paused", batchPausedData),
  envelope("item.failed", webhookItemData),
  envelope("item.completed", webhookItemData),
]);
export type WebhookEvent = z.infer<typeof webhookEventSchema>;
