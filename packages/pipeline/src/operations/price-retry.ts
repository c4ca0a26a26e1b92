import { fromMicros, type PriceTable, requestCost } from "@veoq/pricing";
import { submitJobId } from "../jobs/job-ids.ts";
import type { VeoqQueues } from "../jobs/queues.ts";
import { originalRequestOf } from "../jobs/resubmission.ts";
import type { RetryPlan } from "./plan-retry.ts";

/**
 * The estimated cost (USD) of a retry plan's re-submissions, each priced by its item's original
 * request; shown by `veoq retry` and the dashboard's retry page before anything is paid.
 * Undefined ("cost not estimated") when the table is not in USD or a request can no longer be
 * read (its submit job was removed).
 */
export async function priceRetry(
  plan: RetryPlan,
  queues: VeoqQueues,
  table: PriceTable,
): Promise<number | undefined> {
  const resubmitted = plan.retries.filter((r) => r.action === "resubmit").map((r) => r.customId);
  return priceSubmissions(plan.batchId, resubmitted, queues, table);
}

/**
 * The estimated cost (USD) of creating the tasks of a batch's items again (or for the first
 * time), each priced by its original request (its first submit job); undefined as priceRetry.
 */
export async function priceSubmissions(
  batchId: string,
  customIds: readonly string[],
  queues: VeoqQueues,
  table: PriceTable,
): Promise<number | undefined> {
  if (table.currency !== "USD") return undefined;
  let micros = 0;
  for (const customId of customIds) {
    const request = await originalRequestOf(queues, submitJobId(batchId, customId, 0));
    if (request === undefined) return undefined;
    micros += requestCost(table, request.model, request.input).costMicros;
  }
  return fromMicros(micros);
}
