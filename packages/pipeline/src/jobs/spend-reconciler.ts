import type { Logger } from "@veoq/logging";
import { submissionOfSlotHolder } from "../store/keys.ts";
import { answeredCreateKind, RESUBMIT_REASONS, type SpendLedger } from "../store/spend-ledger.ts";
import type { VeoqQueues } from "./queues.ts";
import { endedSubmission } from "./slot-reconciler.ts";

/** What the reconciler reads (a PipelineContext has it all). */
export interface SpendReconcilerContext {
  spend: SpendLedger;
  queues: VeoqQueues;
  logger: Logger;
  now: () => number;
}

/**
 * Settles reservations leaked by crashes, like provider slots: a reservation older than
 * `graceMs` whose submit job is still live is kept (its retry goes on with the same reservation,
 * never a second one). Otherwise the create happened if the submit job recorded a task id or a
 * poll job exists, and may have if the job still carries `createSentAt` (sent, outcome never
 * recorded): it counts as spent; if none of these, nothing was created and it is released.
 * Returns how many were settled.
 */
export async function reconcileSpendReservations(
  context: SpendReconcilerContext,
  graceMs: number,
): Promise<number> {
  const holders = await context.spend.holdersBefore(context.now() - graceMs);
  let settled = 0;
  for (const holder of holders) {
    const parsed = submissionOfSlotHolder(holder);
    if (parsed === undefined) continue;
    const { batchId, customId, submission } = parsed;
    const ended = await endedSubmission(context.queues, holder);
    if (ended === undefined) continue;
    const reason = RESUBMIT_REASONS.find((r) => r === ended.resubmitReason);
    // A create sent whose outcome was never recorded may have made a task: spent, unanswered.
    const outcome =
      ended.outcome === "created"
        ? answeredCreateKind(submission, reason)
        : ended.outcome === "maybe_created"
          ? "unanswered"
          : "released";
    if ((await context.spend.settle(batchId, holder, outcome)) !== undefined) {
      settled++;
      context.logger.warn(
        { batchId, customId, submission, settledAs: outcome },
        "settled a spend reservation leaked by a crash",
      );
    }
  }
  return settled;
}
