import { type PriceTable, requestCost } from "@veoq/pricing";
import type { VeoqQueues } from "../jobs/queues.ts";
import { originalRequestOf } from "../jobs/resubmission.ts";
import { submitJobId } from "../store/keys.ts";
import type { SpendLedger } from "../store/spend-ledger.ts";
import type { RetryPlan } from "./retry-failed.ts";

/**
 * What a retry's paid creates cost, and, when the batch has a budget, where they would take it:
 * `usedMicros` is what the batch spent and reserved so far, so `usedMicros + costMicros` past
 * `budgetMicros` means the retry reaches the budget and the batch pauses part-way.
 */
export interface RetryPrice {
  costMicros: number;
  currency: string;
  budget?: { budgetMicros: number; usedMicros: number };
}

/** Whether a priced retry takes its batch past its budget (undefined: no budget). */
export function retryReachesBudget(price: RetryPrice): boolean | undefined {
  if (price.budget === undefined) return undefined;
  return price.budget.usedMicros + price.costMicros > price.budget.budgetMicros;
}

/**
 * The estimated cost of a retry plan's re-submissions, each priced by its item's original
 * request, with the batch's budget when `ledger` is given; shown by `veoq retry`, the API and the
 * dashboard's retry page before anything is paid. Undefined ("cost not estimated") when a
 * request can no longer be read (its submit job was removed).
 */
export async function priceRetry(
  plan: RetryPlan,
  queues: VeoqQueues,
  table: PriceTable,
  ledger?: SpendLedger,
): Promise<RetryPrice | undefined> {
  const resubmitted = plan.retries.filter((r) => r.action === "resubmit").map((r) => r.customId);
  return priceSubmissions(plan.batchId, resubmitted, queues, table, ledger);
}

/**
 * The estimated cost of creating the tasks of a batch's items again (or for the first time),
 * each priced by its original request (its first submit job); undefined as priceRetry.
 */
export async function priceSubmissions(
  batchId: string,
  customIds: readonly string[],
  queues: VeoqQueues,
  table: PriceTable,
  ledger?: SpendLedger,
): Promise<RetryPrice | undefined> {
  let micros = 0;
  for (const customId of customIds) {
    const request = await originalRequestOf(queues, submitJobId(batchId, customId, 0));
    if (request === undefined) return undefined;
    micros += requestCost(table, request.model, request.input).costMicros;
  }
  const spend = await ledger?.read(batchId);
  return {
    costMicros: micros,
    currency: spend?.currency ?? table.currency,
    ...(spend?.budgetMicros === undefined
      ? {}
      : {
          budget: {
            budgetMicros: spend.budgetMicros,
            usedMicros: spend.spentMicros + spend.reservedMicros,
          },
        }),
  };
}
