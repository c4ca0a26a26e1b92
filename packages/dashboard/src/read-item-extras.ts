import path from "node:path";
import { checkLocalImageFile, readImageField } from "@veoq/manifest";
import {
  downloadJobId,
  type ItemResult,
  pollJobId,
  QUEUE_ROLES,
  type QueueRole,
  submitJobDataSchema,
  submitJobId,
  type VeoqQueues,
} from "@veoq/pipeline";
import { type PriceTable, requestCost } from "@veoq/pricing";
import type { ItemRow } from "./read-items.ts";

/** One input image of an item's request. */
export interface ItemInputImage {
  /** Where in the request (`image`, `reference_images[0].image`). */
  field: string;
  /** The value as enqueued: a local path, an object-store URI or a URL. */
  value: string;
  /** Where the dashboard serves it (a local file it can read), else undefined. */
  url: string | undefined;
}

/** One step of an item's history, from its jobs and its record. */
export interface ItemEvent {
  at: number;
  /** `enqueued`, `submit #0 started`, ... */
  what: string;
  detail: string;
  failed?: boolean;
}

/** What the item page shows beyond the item table's row. */
export interface ItemExtras {
  /** The manifest line's `metadata` (returned with the results). */
  metadata: Record<string, unknown> | undefined;
  inputs: ItemInputImage[];
  /** The price of one task of this request, and how many were created and asked for. */
  cost:
    | { currency: string; perTaskMicros: number; tasks: number; createRequests: number }
    | undefined;
  /** Oldest first. */
  timeline: ItemEvent[];
}

/** Submissions whose jobs are read for the timeline (the first and the re-submissions after it). */
const SUBMISSIONS_READ = 4;

export function inputImageUrl(batchId: string, customId: string, index: number): string {
  return `/batches/${encodeURIComponent(batchId)}/items/${encodeURIComponent(customId)}/inputs/${index}`;
}

/** The item's first submit job's request: input, local image fields, metadata (undefined once removed). */
async function readSubmitRequest(queues: VeoqQueues, batchId: string, customId: string) {
  const job = await queues.submit.getJob(submitJobId(batchId, customId, 0));
  const parsed = submitJobDataSchema.safeParse(job?.data);
  return parsed.success ? parsed.data : undefined;
}

/**
 * The local file of an item's `index`-th input image, when the dashboard can read it and it is
 * an image (checked as enqueue checks it); else undefined. Never a path from the request: only
 * what the item's submit job names.
 */
export async function localInputImage(
  queues: VeoqQueues,
  batchId: string,
  customId: string,
  index: number,
): Promise<string | undefined> {
  const request = await readSubmitRequest(queues, batchId, customId);
  const field = request?.localImages[index];
  if (request === undefined || field === undefined) return undefined;
  const value = readImageField(request.input, field);
  if (typeof value !== "string" || !path.isAbsolute(value)) return undefined;
  return checkLocalImageFile(value, false) === undefined ? value : undefined;
}

const JOB_IDS: Record<QueueRole, (batchId: string, customId: string, n: number) => string> = {
  submit: submitJobId,
  poll: pollJobId,
  download: downloadJobId,
};

/** Reads an item's request, price and the history its jobs and record keep (a few reads, no scan). */
export async function readItemExtras(
  queues: VeoqQueues,
  row: ItemRow,
  batchId: string,
  result: ItemResult | undefined,
  prices: PriceTable | undefined,
): Promise<ItemExtras> {
  const { customId } = row;
  const request = await readSubmitRequest(queues, batchId, customId);
  const inputs = (request?.localImages ?? []).map((field, index) => {
    const value = readImageField(request?.input, field);
    return {
      field,
      value: typeof value === "string" ? value : "",
      url:
        typeof value === "string" && path.isAbsolute(value)
          ? inputImageUrl(batchId, customId, index)
          : undefined,
    };
  });
  const cost =
    request && prices
      ? {
          currency: prices.currency,
          perTaskMicros: requestCost(prices, request.model, request.input).costMicros,
          tasks: row.taskIds.length,
          createRequests: row.submitAttempts ?? 0,
        }
      : undefined;
  const timeline: ItemEvent[] = [];
  if (row.enqueuedAt !== undefined) {
    timeline.push({ at: row.enqueuedAt, what: "enqueued", detail: "" });
  }
  const last = Math.max(SUBMISSIONS_READ - 1, result?.submission ?? 0);
  const reads: Promise<void>[] = [];
  for (let n = 0; n <= last; n++) {
    for (const role of QUEUE_ROLES) {
      reads.push(
        (async () => {
          const job = await queues[role].getJob(JOB_IDS[role](batchId, customId, n));
          if (!job) return;
          const label = `${role}${n > 0 ? ` (re-submission ${n})` : ""}`;
          if (job.processedOn) {
            timeline.push({
              at: job.processedOn,
              what: `${label} started`,
              detail: job.attemptsMade > 1 ? `${job.attemptsMade} tries` : "",
            });
          }
          if (job.finishedOn) {
            const failed = job.failedReason !== undefined && job.failedReason !== "";
            timeline.push({
              at: job.finishedOn,
              what: `${label} ${failed ? "failed" : "done"}`,
              detail: failed ? job.failedReason : "",
              failed,
            });
          }
        })(),
      );
    }
  }
  await Promise.all(reads);
  if (row.submittedAt !== undefined) {
    timeline.push({
      at: row.submittedAt,
      what: "task created",
      detail: row.taskIds.at(-1) ?? "",
    });
  }
  if (result?.finishedAt !== undefined) {
    timeline.push({
      at: result.finishedAt,
      what: `item ${result.status}`,
      detail: result.errorKind ? `${result.errorKind}: ${result.errorMessage ?? ""}` : "",
      failed: result.status === "failed",
    });
  }
  timeline.sort((a, b) => a.at - b.at);
  return {
    metadata: result?.metadata ?? request?.metadata,
    inputs,
    cost,
    timeline,
  };
}
