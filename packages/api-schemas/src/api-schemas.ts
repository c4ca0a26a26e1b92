import { BATCH_STATES, PRIORITY_LEVELS } from "@veoq/pipeline";
import {
  batchJson,
  batchSpendJson,
  deleteJson,
  moneySchema,
  resultJson,
  retryJson,
  retryPlanJson,
} from "@veoq/report";
import { deliveryJson } from "@veoq/webhooks";
import { z } from "zod";
import { problemJson } from "./problem-json.ts";

/*
 * Every shape the API reads or writes, as zod schemas: @veoq/api's handlers parse with them, its
 * OpenAPI document (openapi-document.ts) is generated from them, and @veoq/client takes its types
 * from them (a package of their own, so the client does not depend on the server). Answers reuse
 * packages/report's snake_case shapes (the CLI's --json, the dashboard's /api) wherever one
 * exists.
 */

export { problemJson };

/** What a batch id may be (store/keys.ts isValidBatchId). */
export const batchId = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, "must be 1-64 characters of A-Z a-z 0-9 . _ -");
export const customId = z.string().min(1).max(256);

/** The events a batch's webhook can be sent (the webhooks side delivers them). */
export const WEBHOOK_EVENTS = [
  "batch.completed",
  "batch.paused",
  "item.failed",
  "item.completed",
] as const;
export const webhookEvent = z.enum(WEBHOOK_EVENTS);

const httpUrl = z
  .string()
  .max(2048)
  .refine((v) => {
    try {
      const url = new URL(v);
      return url.protocol === "https:" || url.protocol === "http:";
    } catch {
      return false;
    }
  }, "must be an http:// or https:// URL");

/** A query flag: 1/true/yes or 0/false/no. */
const queryFlag = z
  .enum(["1", "0", "true", "false", "yes", "no"])
  .transform((v) => v === "1" || v === "true" || v === "yes");

/** An amount of money in the price table's currency (the CLI's `--budget 12.50`). */
const amount = z.number().positive().max(1_000_000_000);

/** What the options of POST /v1/batches mean (the OpenAPI document's descriptions). */
const DESCRIBE = {
  batch_id:
    "The batch to create or add to (1-64 of A-Z a-z 0-9 . _ -); default: a new api-<date>-<random> id",
  priority: "The batch's share of the provider slots: high, normal (default) or low",
  budget:
    "Most money the batch may spend on creates, in the price table's currency; past it the batch pauses",
  webhook_url: "Where the batch's events are sent (signed webhooks)",
  webhook_events:
    "Which events to send of batch.completed, batch.paused, item.failed and item.completed (item.completed only when asked for)",
  skip_invalid:
    "Enqueue the valid lines even when some are invalid (default: enqueue nothing then)",
  rerender:
    "Pay for new renders of requests this deployment already rendered or is rendering (default: reuse their outputs)",
} as const;

/** `application/json` body of POST /v1/batches. */
export const createBatchBody = z
  .object({
    batch_id: batchId.optional().meta({ description: DESCRIBE.batch_id }),
    /** The manifest's lines as objects (`custom_id`, `model`, `input`, `metadata`). */
    items: z
      .array(z.unknown())
      .min(1)
      .max(1_000_000)
      .meta({ description: "The manifest's lines as objects (custom_id, model, input, metadata)" }),
    priority: z.enum(PRIORITY_LEVELS).optional().meta({ description: DESCRIBE.priority }),
    budget: amount.optional().meta({ description: DESCRIBE.budget }),
    webhook_url: httpUrl.optional().meta({ description: DESCRIBE.webhook_url }),
    webhook_events: z.array(webhookEvent).optional().meta({ description: DESCRIBE.webhook_events }),
    skip_invalid: z.boolean().optional().meta({ description: DESCRIBE.skip_invalid }),
    rerender: z.boolean().optional().meta({ description: DESCRIBE.rerender }),
  })
  .strict()
  .meta({ id: "CreateBatchRequest" });
export type CreateBatchBody = z.infer<typeof createBatchBody>;

/** The query of POST /v1/batches with an NDJSON body (the same options as the JSON body). */
export const createBatchQuery = z.object({
  batch_id: batchId.optional().meta({ description: DESCRIBE.batch_id }),
  priority: z.enum(PRIORITY_LEVELS).optional().meta({ description: DESCRIBE.priority }),
  budget: z.coerce
    .number()
    .positive()
    .max(1_000_000_000)
    .optional()
    .meta({ description: DESCRIBE.budget }),
  webhook_url: httpUrl.optional().meta({ description: DESCRIBE.webhook_url }),
  /** Comma-separated. */
  webhook_events: z
    .string()
    .transform((v) => v.split(",").filter((e) => e !== ""))
    .pipe(z.array(webhookEvent))
    .optional()
    .meta({ description: `${DESCRIBE.webhook_events}, comma-separated` }),
  skip_invalid: queryFlag.optional().meta({ description: DESCRIBE.skip_invalid }),
  rerender: queryFlag.optional().meta({ description: DESCRIBE.rerender }),
});

/** `application/json` body of POST /v1/estimate. */
export const estimateBody = z
  .object({ items: z.array(z.unknown()).min(1).max(1_000_000) })
  .strict()
  .meta({ id: "EstimateRequest" });

export const batchParams = z.object({ id: batchId });
export const itemParams = z.object({ id: batchId, custom_id: customId });
export const fileParams = z.object({
  batch: batchId,
  custom_id: customId,
  n: z.coerce.number().int().min(0).max(1000),
});

/** The query of GET /v1/batches/{id}/results. */
export const resultsQuery = z.object({
  order: z.enum(["manifest", "finished"]).optional().meta({
    description:
      "manifest (default: as the manifest listed the items) or finished (final items by finish time, then the open ones)",
  }),
});

/** The query of DELETE /v1/batches/{id}. */
export const deleteBatchQuery = z.object({
  files: queryFlag.optional().meta({
    description:
      "Also remove the batch's output files (<VEOQ_OUTPUT_DIR>/<batch>/) or its objects in the bucket",
  }),
});

/** DELETE /v1/batches/{id}: what went with the batch (as `veoq delete --json`). */
export const deletedBatchJson = deleteJson.meta({ id: "DeletedBatch" });
export type DeletedBatchJson = z.infer<typeof deletedBatchJson>;

export const listBatchesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

export const itemStateFilter = z.enum([
  "queued",
  "processing",
  "downloading",
  "completed",
  "failed",
  "cancelled",
]);
export const listItemsQuery = z.object({
  state: itemStateFilter.optional(),
  /** Opaque: the `next_cursor` of the page before. */
  cursor: z
    .string()
    .max(200)
    .optional()
    .meta({ description: "The next_cursor of the page before" }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .optional()
    .meta({ description: "Items per page (default 100)" }),
});

export const retryBody = z
  .object({
    /** Retry failures that will fail again too (invalid input, a content-policy reason). */
    include_permanent: z.boolean().optional(),
    /**
     * The paid re-submissions agreed to (from a plan shown first): a retry that would pay for more
     * re-queues nothing and answers 409 with the plan. Absent: 0 (only free retries run).
     */
    max_resubmits: z.number().int().min(0).optional(),
  })
  .strict();

export const cancelBody = z
  .object({
    /** Stop following tasks already created (they are paid; their outputs are not saved). */
    drop_in_flight: z.boolean().optional(),
  })
  .strict();

export const budgetBody = z.object({ budget: amount }).strict();
export const priorityBody = z.object({ priority: z.enum(PRIORITY_LEVELS) }).strict();

/** A cost estimate (pricing's estimateToJson): tasks, seconds of video and money (`{ amount, currency }`). */
export const estimateJson = z
  .object({
    tasks: z.number().int(),
    video_seconds: z.number(),
    cost: moneySchema,
    by_model_resolution: z.array(
      z.object({
        model: z.string(),
        resolution: z.string(),
        tasks: z.number().int(),
        video_seconds: z.number(),
        cost: moneySchema,
      }),
    ),
  })
  .meta({ id: "Estimate" });

const invalidLineJson = z.object({
  line: z.number().int(),
  custom_id: z.string().nullable(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })),
});

/** A batch's pause or cancel; `finished` once every item is final (as `veoq status --json`). */
export const controlJson = z.object({
  state: z.enum(["running", "paused", "cancelled", "finished"]),
  /** Why it is paused: user, budget or daily_budget; null otherwise. */
  reason: z.string().nullable(),
  /** Since when it is paused or cancelled; null while running. */
  at: z.iso.datetime().nullable(),
  /** Cancelled with its tasks in flight dropped. */
  drop_in_flight: z.boolean(),
});

/**
 * One batch: `veoq status --json`'s batch with its control and spend (report's batchSpendJson:
 * estimate, spent split into first creates, re-submits and possible duplicates, budget, prices).
 */
export const batchObjectJson = batchJson
  .extend({ state: z.enum(BATCH_STATES), control: controlJson, spend: batchSpendJson })
  .meta({ id: "Batch" });
export type BatchObjectJson = z.infer<typeof batchObjectJson>;

/** POST /v1/batches: the batch, and what this request added to it. */
export const createdBatchJson = batchObjectJson
  .extend({
    enqueue: z.object({
      lines: z.number().int(),
      valid: z.number().int(),
      invalid: z.number().int(),
      added: z.number().int(),
      already_present: z.number().int(),
      /** What the valid lines cost. */
      estimate: estimateJson.nullable(),
      /** Lines that reuse a render this deployment already made or is making (pay nothing). */
      reused: z.object({ lines: z.number().int(), estimate: estimateJson.nullable() }),
      /** Masters whose replicas had not confirmed the writes (see `veoq enqueue`). */
      unreplicated: z.array(z.string()),
      /** The batch's budget is below its estimate: it pauses by its budget part-way (nothing fails). */
      budget_below_estimate: z.boolean(),
      /** With skip_invalid: the lines left out. */
      invalid_lines: z.array(invalidLineJson),
    }),
  })
  .meta({ id: "CreatedBatch" });
export type CreatedBatchJson = z.infer<typeof createdBatchJson>;

export const batchListJson = z
  .object({
    batches: z.array(batchObjectJson),
    submit_paused: z.boolean(),
    /** Why submissions are stopped (401/402 from the provider), or null. */
    credentials_stop: z.string().nullable(),
  })
  .meta({ id: "BatchList" });

/** One item: its line of `veoq results`. */
export const itemResultJson = resultJson.meta({ id: "ItemResult" });

export const itemListJson = z
  .object({
    batch_id: z.string(),
    state: itemStateFilter.nullable(),
    /** Items matching the filter, all pages. */
    total: z.number().int(),
    items: z.array(itemResultJson),
    /** Pass as `cursor` for the next page; null on the last. */
    next_cursor: z.string().nullable(),
  })
  .meta({ id: "ItemList" });

export const estimateResultJson = estimateJson
  .extend({
    lines: z.number().int(),
    valid: z.number().int(),
    invalid: z.number().int(),
    /** Invalid lines, left out of the estimate (up to 1000 listed). */
    invalid_lines: z.array(invalidLineJson),
    /** The price table used (its file name). */
    prices: z.string(),
  })
  .meta({ id: "EstimateResult" });

export const lifecycleJson = z
  .object({
    batch_id: z.string(),
    action: z.enum(["pause", "resume", "cancel"]),
    /** False when the batch already was in that state. */
    changed: z.boolean(),
    /** cancel: queued items ended now, and items whose task exists (they finish unless dropped). */
    cancelled: z.number().int().optional(),
    in_flight: z.number().int().optional(),
  })
  .meta({ id: "LifecycleResult" });

export const retryResultJson = retryJson.meta({ id: "RetryResult" });
export { retryPlanJson };

export const budgetJson = z
  .object({
    batch_id: z.string(),
    budget: moneySchema,
    /** A budget pause was lifted. */
    resumed: z.boolean(),
  })
  .meta({ id: "BudgetResult" });

export const priorityJson = z
  .object({
    batch_id: z.string(),
    priority: z.enum(PRIORITY_LEVELS),
    /** Waiting submit jobs given the new priority. */
    changed: z.number().int(),
  })
  .meta({ id: "PriorityResult" });

/** A webhook delivery id (`<event id>~<endpoint key>`; veoq webhooks BATCH prints it). */
export const deliveryParams = z.object({ delivery_id: z.string().min(3).max(512) });

/** One webhook delivery (event × endpoint) with its tries; `url` without its query. */
export const webhookDeliveryJson = deliveryJson
  .extend({
    url: z.string().meta({
      description: "The endpoint, without its query string (which may hold the receiver's token)",
    }),
  })
  .meta({ id: "WebhookDelivery" });

/** GET /v1/batches/{id}/webhooks: the batch's delivery log, oldest first. */
export const webhookDeliveryListJson = z
  .object({ batch_id: z.string(), deliveries: z.array(webhookDeliveryJson) })
  .meta({ id: "WebhookDeliveryList" });

/*
 * The types of what the API reads and answers, for @veoq/client (a type-only import: the
 * client loads none of this at run time).
 */
export type CreateBatchOptions = Omit<z.input<typeof createBatchBody>, "items">;
export type BatchListJson = z.infer<typeof batchListJson>;
export type ItemListJson = z.infer<typeof itemListJson>;
export type ItemResultJson = z.infer<typeof itemResultJson>;
export type EstimateResultJson = z.infer<typeof estimateResultJson>;
export type LifecycleJson = z.infer<typeof lifecycleJson>;
export type RetryResultJson = z.infer<typeof retryResultJson>;
export type BudgetJson = z.infer<typeof budgetJson>;
export type PriorityJson = z.infer<typeof priorityJson>;
export type ItemStateFilter = z.infer<typeof itemStateFilter>;
export type WebhookEvent = z.infer<typeof webhookEvent>;
export type WebhookDeliveryJson = z.infer<typeof webhookDeliveryJson>;
export type WebhookDeliveryListJson = z.infer<typeof webhookDeliveryListJson>;
export type { ProblemJson } from "./problem-json.ts";
