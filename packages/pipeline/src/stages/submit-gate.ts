import { requestCost } from "@veoq/pricing";
import { DelayedError, type Job } from "bullmq";
import type { SubmitJobData } from "../jobs/job-data.ts";
import { PIPELINE_DEFAULTS } from "../policy/pipeline-defaults.ts";
import type { ProviderSlots } from "../store/provider-slots.ts";
import { cancelItem } from "./item-outcome.ts";
import { type PipelineContext, toRealMs } from "./pipeline-context.ts";

/**
 * The submit stage's check right before a create (spend-ledger.ts, one atomic script): a
 * cancelled batch ends the item as `cancelled`; a paused batch, or an item that does not fit a
 * budget, sends the job back to wait (no attempt charged, nothing fails). Returns "go" with the
 * item's cost reserved, or "cancelled" when the item is final. The caller holds `holder`'s
 * provider slot (on `slots`, its key's); it is released here unless the answer is "go".
 */
export async function passSubmitGate(
  context: PipelineContext,
  job: Job,
  token: string | undefined,
  data: SubmitJobData,
  holder: string,
  slots: ProviderSlots = context.slots,
): Promise<"go" | "cancelled"> {
  const cost = requestCost(context.prices, data.model, data.input).costMicros;
  const decision = await context.spend.gate(
    data.batchId,
    holder,
    cost,
    context.settings.dailyBudgetMicros,
    context.now(),
  );
  if (decision === "go") return "go";
  await slots.release(holder);
  const log = context.logger.child({
    batchId: data.batchId,
    customId: data.customId,
    jobId: job.id,
  });
  if (decision === "cancelled") {
    await cancelItem(context, job, data, {
      stage: "submit",
      message: "the batch was cancelled before this item's task was created",
    });
    return "cancelled";
  }
  if (decision === "budget") {
    log.error(
      { costMicros: cost },
      `BUDGET STOP: the next item of batch ${data.batchId} does not fit its budget; the batch is paused (nothing failed). Raise it with \`veoq budget ${data.batchId} <amount>\`.`,
    );
  } else if (decision === "daily_budget") {
    log.error(
      { costMicros: cost },
      `DAILY BUDGET STOP: the next item of batch ${data.batchId} does not fit today's VEOQ_DAILY_BUDGET; the batch is paused until the UTC day ends (nothing failed).`,
    );
  }
  await job.moveToDelayed(
    context.now() + toRealMs(context, PIPELINE_DEFAULTS.pausedRecheckSeconds),
    token,
  );
  throw new DelayedError();
}

/**
 * Ends the reservation of `holder`'s create: spent (created, or maybe) or released (certainly
 * not created), and reports spent money to the observer (metrics).
 */
export async function settleCreate(
  context: PipelineContext,
  data: Pick<SubmitJobData, "batchId" | "model">,
  holder: string,
  as: "spent" | "released",
): Promise<void> {
  const costMicros = await context.spend.settle(data.batchId, holder, as);
  if (as === "spent" && costMicros !== undefined) {
    context.observer.createSpent?.({ model: data.model, costMicros });
  }
}
