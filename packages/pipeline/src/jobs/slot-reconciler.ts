import type { Logger } from "@veoq/logging";
import type { BatchStore } from "../store/batch-store.ts";
import type { KeyReservations } from "../store/key-reservations.ts";
import { pollJobId, submissionOfSlotHolder, submitJobId } from "../store/keys.ts";
import { type ProviderSlots, providerAccounts } from "../store/provider-slots.ts";
import { type RecordedKey, recordedOnAccount } from "../store/recorded-key.ts";
import type { SubmitQueueWakeKeys } from "../store/submit-queue-wake.ts";
import type { VeoqQueues } from "./queues.ts";

/** What the reconciler reads (a PipelineContext has it all). */
export interface SlotReconcilerContext {
  slots: ProviderSlots;
  /** The daily-budget reservations of the same key (store/key-reservations.ts), if it has any. */
  reservations?: KeyReservations;
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

/** What became of a submission whose submit job is no longer live (see `endedSubmission`). */
export interface EndedSubmission {
  /** Its create happened (a task id recorded, or a poll job), may have (sent, no answer), or not. */
  outcome: "created" | "maybe_created" | "not_created";
  /** The submit job's resubmit reason, as recorded. */
  resubmitReason: unknown;
  /**
   * The key that create went through, as the job recorded it (the submit job's, or the poll
   * job's when the submit job is gone); undefined when no create happened.
   */
  createdOn: RecordedKey | undefined;
}

/**
 * What became of the submission `holder` ("<batch>~<custom>~<n>") once its submit job is gone or
 * final: the create happened if the job recorded a task id or a poll job exists, may have if the
 * job still carries `createSentAt` (sent, outcome never recorded), else did not. Undefined while
 * its submit job is live (its retry goes on with what it holds) or for a holder of another shape.
 */
export async function endedSubmission(
  queues: VeoqQueues,
  holder: string,
): Promise<EndedSubmission | undefined> {
  const parsed = submissionOfSlotHolder(holder);
  if (parsed === undefined) return undefined;
  const { batchId, customId, submission } = parsed;
  const submitJob = await queues.submit.getJob(submitJobId(batchId, customId, submission));
  if (await isLive(submitJob)) return undefined;
  const data = submitJob?.data as
    | ({ taskId?: unknown; createSentAt?: unknown; resubmitReason?: unknown } & RecordedKey)
    | undefined;
  const resubmitReason = data?.resubmitReason;
  if (typeof data?.taskId === "string") {
    return { outcome: "created", resubmitReason, createdOn: data };
  }
  const pollJob = await queues.poll.getJob(pollJobId(batchId, customId, submission));
  if (pollJob !== undefined) {
    return { outcome: "created", resubmitReason, createdOn: pollJob.data as RecordedKey };
  }
  if (typeof data?.createSentAt === "number") {
    return { outcome: "maybe_created", resubmitReason, createdOn: data };
  }
  return { outcome: "not_created", resubmitReason, createdOn: undefined };
}

/**
 * Releases slots leaked by crashes: a holder older than `graceMs` whose submission has neither a
 * live poll job (its task is still followed) nor a live submit job (its create may still be under
 * way) holds a slot nobody will release. With `reservations` (a key of a pool), also settles that
 * key's leaked daily-budget reservations. Returns how many slots were released.
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
    const pollJob = await context.queues.poll.getJob(pollJobId(batchId, customId, submission));
    // A live poll job follows a task created through another key (a try took this key's slot,
    // died before sending, and the retry created elsewhere): this slot is nobody's either.
    const followed =
      (await isLive(pollJob)) &&
      recordedOnAccount(pollJob?.data as RecordedKey | undefined, context.slots.keys.account);
    if (!followed) {
      await context.slots.release(holder);
      released++;
      context.logger.warn(
        { batchId, customId, submission },
        "released a provider slot leaked by a crash",
      );
    }
  }
  if (context.reservations !== undefined) {
    await reconcileKeyReservations(context, context.reservations, graceMs);
  }
  return released;
}

/**
 * Settles the key's daily-budget reservations leaked by crashes, as the spend reconciler does
 * the batches' (spend-reconciler.ts): one older than `graceMs` whose submit job is no longer
 * live is spent if its create happened or may have THROUGH THIS KEY (the key the job recorded
 * when the create was sent), else given back: a try that reserved here and died before sending,
 * whose retry created through another key, cost this key nothing. Returns how many.
 */
async function reconcileKeyReservations(
  context: SlotReconcilerContext,
  reservations: KeyReservations,
  graceMs: number,
): Promise<number> {
  let settled = 0;
  for (const holder of await reservations.holdersBefore(context.now() - graceMs)) {
    const ended = await endedSubmission(context.queues, holder);
    if (ended === undefined && submissionOfSlotHolder(holder) !== undefined) continue;
    const here = recordedOnAccount(ended?.createdOn, reservations.account);
    const end =
      ended?.outcome === "created" && here
        ? "created"
        : ended?.outcome === "maybe_created" && here
          ? "spent"
          : "released";
    if ((await reservations.settle(holder, end)) !== undefined) {
      settled++;
      context.logger.warn(
        { holder, settledAs: end },
        "settled a key budget reservation leaked by a crash",
      );
    }
  }
  return settled;
}

/** What `reconcileEveryAccount` reads (a PipelineContext with the submit queue's wake keys). */
export interface AccountsReconcilerContext extends Omit<SlotReconcilerContext, "slots"> {
  store: BatchStore;
  /** The submit queue's keys: a released slot wakes it. */
  wake?: SubmitQueueWakeKeys;
}

/**
 * `reconcileProviderSlots` over every API key's account listed under the prefix (the account
 * set, store/provider-slots.ts), with each key's daily-budget reservations: a crashed holder's
 * slot and reservation on a key are freed even when no process that reconciles holds that key
 * (disjoint key sets). Records are named by account, never the key. Returns the slots released.
 */
export async function reconcileEveryAccount(
  context: AccountsReconcilerContext,
  graceMs: number,
): Promise<number> {
  let released = 0;
  for (const account of await providerAccounts(context.store.redis, context.store.prefix)) {
    // Only releases: the configured maximum is not read (1 stands in).
    const slots = context.store.providerSlots({
      account,
      maxInFlight: 1,
      ...(context.wake === undefined ? {} : { wake: context.wake }),
      now: context.now,
    });
    const reservations = context.store.keyReservations({ account, now: context.now });
    try {
      released += await reconcileProviderSlots({ ...context, slots, reservations }, graceMs);
    } catch (error) {
      context.logger.warn({ err: error, account }, "provider slot reconciliation failed");
    }
  }
  return released;
}
