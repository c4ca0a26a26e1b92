import type { Logger } from "@veoq/logging";
import { pollJobId, submissionOfSlotHolder, submitJobId } from "../store/keys.ts";
import type { ProviderSlots } from "../store/provider-slots.ts";
import type { VeoqQueues } from "./queues.ts";

/** What the reconciler reads (a PipelineContext has it all). */
export interface SlotReconcilerContext {
  slots: ProviderSlots;
  queues: VeoqQueues;
  logger: Logger;
  now: () => number;
}

const LIVE_STATES = new Set([
  "active",
  "waiting",
  "delayed",
  "prioritized",
  "waiting-children",
  "paused",
]);

/** Whether a job is still to run (or running): not completed, failed or gone. */
export async function isLive(job: { getState(): Promise<string> } | undefined): Promise<boolean> {
  return job !== undefined && LIVE_STATES.has(await job.getState());
}

/**
 * Releases slots leaked by crashes: a holder older than `graceMs` whose submission has neither a
 * live poll job (its task is still followed) nor a live submit job (its create may still be under
 * way) holds a slot nobody will release. Returns how many were released.
 */
export async function reconcileProviderSlots(
  context: SlotReconcilerContext,
  graceMs: number,
): Promise<number> {
  const holders = await context.slots.holdersBefore(context.now() - graceMs);
  let released = 0;
  for (const holder of holders) {
    const parsed = submissionOfSlotHolder(holder);
    if (parsed === undefined) {
      await context.slots.release(holder);
      released++;
      continue;
    }
    const { batchId, customId, submission } = parsed;
    // Submit first, then poll: a hand-off adds the poll job before the submit job completes,
    // so a holder between the two steps is seen live by one of the reads.
    if (
      await isLive(await context.queues.submit.getJob(submitJobId(batchId, customId, submission)))
    ) {
      continue;
    }
    if (
      !(await isLive(await context.queues.poll.getJob(pollJobId(batchId, customId, submission))))
    ) {
      await context.slots.release(holder);
      released++;
      context.logger.warn(
        { batchId, customId, submission },
        "released a provider slot leaked by a crash",
      );
    }
  }
  return released;
}
