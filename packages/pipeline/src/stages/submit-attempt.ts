import { requestCost } from "@veoq/pricing";
import { DelayedError, type Job, RateLimitError } from "bullmq";
import type { SubmitJobData } from "../jobs/job-data.ts";
import type { KeyTake, ProviderKey } from "../keys/provider-keys.ts";
import { PIPELINE_DEFAULTS } from "../policy/pipeline-defaults.ts";
import { slotHolder } from "../store/keys.ts";
import type { ProviderSlots } from "../store/provider-slots.ts";
import { answeredCreateKind } from "../store/spend-ledger.ts";
import { type PipelineContext, toRealMs } from "./pipeline-context.ts";
import { cancelItem } from "./stage-processor.ts";

/**
 * The one owner of what a submission holds (issue 22): a submit attempt takes the item's
 * provider slot (on the API key chosen from the pool, issue 27: the key's slot is the slot) with
 * the create's reservation on that key's daily budget, then (at the gate, `passSubmitGate`) its
 * spend reservation, and gives each back, or hands it on, in ONE place (`SubmitAttempt.end`), whichever way the attempt ends. After the hand-off to
 * polling the slot belongs to the task's poll job, which frees it through `releaseTaskSlot`
 * (below), the other end of the same slot. Crashes are the reconcilers' business
 * (jobs/slot-reconciler.ts, jobs/spend-reconciler.ts).
 *
 * Where is a slot released? Here (and by the slot reconciler after a crash). Where is money
 * settled? Here (and by the spend reconciler after a crash).
 */

/** How a submit attempt ended; it decides what becomes of each resource the attempt holds. */
export type AttemptOutcome =
  /** The task exists and its id is on the job: the slot passes to its poll job, the money is spent. */
  | "created"
  /** The create was sent and may have made a task nobody will follow: money spent, the rest back. */
  | "maybe_created"
  /** No task was made: everything goes back. */
  | "not_created";

/**
 * One resource a submit attempt holds from its take until the attempt ends. Adding one (say, the
 * API key chosen from a pool): take it in `withSubmitAttempt` (or, like the reservation, where it
 * is granted, through `attempt.hold`), say in `end` what each outcome does to it, and, if it stays
 * with the task while it is in flight (as the slot does), free it beside the slot in
 * `releaseTaskSlot`.
 */
export interface HeldResource {
  /** For logs: what is held ("provider slot", "spend reservation"). */
  readonly name: string;
  /** Gives the resource back, or hands it on, as `outcome` says. Called once. */
  end(outcome: AttemptOutcome): Promise<void>;
}

/** One try of one submission to create its task, with what it holds meanwhile. */
export class SubmitAttempt {
  /** The submission, "<batch>~<custom>~<n>": the name its slot and its reservation are held under. */
  readonly holder: string;
  /** Slots held with this one when it was taken (a concurrency 429 measures the cap from it). */
  readonly slotsHeldAtTake: number;
  private readonly resources: HeldResource[] = [];
  private state: "open" | "sent" | "ended" = "open";

  constructor(holder: string, slotsHeldAtTake: number, resources: HeldResource[]) {
    this.holder = holder;
    this.slotsHeldAtTake = slotsHeldAtTake;
    this.resources.push(...resources);
  }

  /** Adds a resource granted during the attempt (the gate's reservation); ended with the rest. */
  hold(resource: HeldResource): void {
    if (this.state === "ended") throw new Error(`${resource.name} held after the attempt ended`);
    this.resources.push(resource);
  }

  /**
   * The create is about to be sent: from now on an error the attempt did not foresee leaves the
   * resources as they are (the task may exist): the next try books the money
   * (`endEarlierAttempt`) and takes the same slot again, or the reconcilers free them.
   */
  markSent(): void {
    if (this.state === "open") this.state = "sent";
  }

  /** The one release path: ends every held resource, last taken first. Later calls do nothing. */
  async end(outcome: AttemptOutcome): Promise<void> {
    if (this.state === "ended") return;
    this.state = "ended";
    for (const resource of [...this.resources].reverse()) await resource.end(outcome);
  }

  /** How the attempt ends when its body returns or throws without ending it (see markSent). */
  async close(): Promise<void> {
    if (this.state === "open") await this.end("not_created");
  }
}

/** Why no key took the create (keys/provider-keys.ts `take`). */
export type NoKeyFree = Exclude<KeyTake, { key: ProviderKey }>;

export interface SubmitAttemptOptions {
  /** The create's cost in micro-units: a key with its own daily budget must fit it. */
  costMicros?: number;
  /**
   * The error to throw when no key took the create (every slot taken, a key's pace, every key
   * stopped or out of its daily budget); by default RateLimitError (the take set the wait).
   */
  whenNoKey?: (why: NoKeyFree) => Promise<Error>;
}

/**
 * Runs one submit attempt: takes the submission's provider slot on the key with the most free
 * capacity (keys/provider-keys.ts; with one key, its slots), the slot first: while every slot
 * is taken, images are not read over and over. Runs `body` with that key, and ends the attempt
 * however `body` leaves (an attempt that never sent its create gives everything back). When no
 * slot is free the whole submit queue waits until a release frees one (the take set the wait)
 * and the job goes back without an attempt charged (RateLimitError, or `whenNoKey`'s error).
 */
export async function withSubmitAttempt<T>(
  context: PipelineContext,
  data: Pick<SubmitJobData, "batchId" | "customId" | "submission">,
  body: (attempt: SubmitAttempt, key: ProviderKey) => Promise<T>,
  options: SubmitAttemptOptions = {},
): Promise<T> {
  const holder = slotHolder(data.batchId, data.customId, data.submission);
  const slotWaitMs = Math.max(
    PIPELINE_DEFAULTS.minSlotWaitMs,
    toRealMs(context, PIPELINE_DEFAULTS.slotWaitSeconds),
  );
  const taken = await context.keys.take(holder, slotWaitMs, options.costMicros ?? 0);
  if ("wait" in taken) {
    throw options.whenNoKey === undefined ? new RateLimitError() : await options.whenNoKey(taken);
  }
  const { key, held, reserved } = taken;
  const attempt = new SubmitAttempt(holder, held, [
    providerSlot(key.slots, holder),
    keyReservation(context, key, holder, reserved ? undefined : (options.costMicros ?? 0)),
  ]);
  let result: T;
  try {
    result = await body(attempt, key);
  } catch (error) {
    await attempt
      .close()
      .catch((closeError: unknown) =>
        context.logger.warn(
          { err: closeError, holder, key: key.name },
          "could not give back a failed submit attempt's slot or reservation (the reconcilers will)",
        ),
      );
    throw error;
  }
  await attempt.close();
  return result;
}

/** The item's provider slot on its key: handed to the task's poll job when created, else freed. */
function providerSlot(slots: ProviderSlots, holder: string): HeldResource {
  return {
    name: "provider slot",
    async end(outcome) {
      if (outcome !== "created") await slots.release(holder);
    },
  };
}

/**
 * The create's cost reserved on its key's daily budget with the slot (keys/provider-keys.ts
 * `take`): spent (and the create counted on the key) when the task was made, spent when it may
 * have been, given back when it certainly was not. Ended before the slot (last taken, first
 * ended), so a freed slot never leaves a reservation behind. A key that took no reservation (a
 * lone key without a budget: `unreservedCostMicros` given) has its create counted instead.
 */
function keyReservation(
  context: PipelineContext,
  key: ProviderKey,
  holder: string,
  unreservedCostMicros: number | undefined,
): HeldResource {
  return {
    name: "key budget reservation",
    async end(outcome) {
      if (unreservedCostMicros !== undefined) {
        if (outcome === "created") await context.keys.count(key, "created", unreservedCostMicros);
        return;
      }
      const end =
        outcome === "created" ? "created" : outcome === "maybe_created" ? "spent" : "released";
      await context.keys.settle(key, holder, end);
    },
  };
}

/**
 * The submit stage's check right before a create (spend-ledger.ts, one atomic script): a
 * cancelled batch ends the item as `cancelled`; a paused batch, or an item that does not fit a
 * budget, sends the job back to wait (no attempt charged, nothing fails). Returns "go" with the
 * item's cost reserved and held by the attempt (submit-attempt.ts), or "cancelled" when the item
 * is final. Whatever the answer, the attempt gives back its slot (this module frees nothing).
 */
export async function passSubmitGate(
  context: PipelineContext,
  job: Job,
  token: string | undefined,
  data: SubmitJobData,
  attempt: SubmitAttempt,
): Promise<"go" | "cancelled"> {
  const cost = requestCost(context.prices, data.model, data.input).costMicros;
  const decision = await context.spend.gate(
    data.batchId,
    attempt.holder,
    cost,
    context.settings.dailyBudgetMicros,
    context.now(),
  );
  if (decision === "go") {
    attempt.hold(spendReservation(context, data, attempt.holder));
    return "go";
  }
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
 * The cost the gate reserved for this create (store/spend-ledger.ts): spent when a task was
 * (or may have been) made, released when none was. Spent money is reported to the observer.
 */
export function spendReservation(
  context: PipelineContext,
  data: Pick<SubmitJobData, "batchId" | "model" | "submission" | "resubmitReason">,
  holder: string,
): HeldResource {
  return {
    name: "spend reservation",
    async end(outcome) {
      // Spent as an answered create (a first create or a re-submit, by the job's submission),
      // as an unanswered one (a possible duplicate), or released (certainly not created).
      const as =
        outcome === "created"
          ? answeredCreateKind(data.submission, data.resubmitReason)
          : outcome === "maybe_created"
            ? "unanswered"
            : "released";
      const costMicros = await context.spend.settle(data.batchId, holder, as);
      if (as !== "released" && costMicros !== undefined) {
        context.observer.createSpent?.({ model: data.model, costMicros });
      }
    },
  };
}

/**
 * Ends what an earlier try of this submission left held after sending its create (it crashed
 * before ending its attempt): its reservation is booked as spent, whether the task was recorded
 * (`created`) or may exist unfollowed (`maybe_created`). Its slot, if still held, stays with the
 * same holder: the task's poll job, or this try's own take.
 */
export async function endEarlierAttempt(
  context: PipelineContext,
  data: Pick<
    SubmitJobData,
    "batchId" | "customId" | "submission" | "model" | "resubmitReason" | "keyName" | "keyAccount"
  >,
  outcome: "created" | "maybe_created",
): Promise<void> {
  const holder = slotHolder(data.batchId, data.customId, data.submission);
  await spendReservation(context, data, holder).end(outcome);
  // Its reservation on the daily budget of the key the create was sent through, if it still has
  // one, settled by that key's account whether or not this process holds the key: left
  // unsettled, a later take on that key would reuse it for a second create (charged once).
  await context.keys
    .reservationsOf(context.keys.accountOf(data))
    .settle(holder, outcome === "created" ? "created" : "spent");
}

/**
 * The other end of the hand-off: the poll job frees the slot its task held on its key, `finished` (the
 * provider reported a final state; the cap may grow back, once) or `abandoned` (the deadline
 * passed, or the batch was cancelled with --drop-in-flight).
 */
export async function releaseTaskSlot(
  context: PipelineContext,
  data: Pick<SubmitJobData, "batchId" | "customId" | "submission" | "keyName" | "keyAccount">,
  how: "finished" | "abandoned",
): Promise<void> {
  const holder = slotHolder(data.batchId, data.customId, data.submission);
  // The slot is on the key that created the task (a task recorded without one: the first key),
  // freed by its account even when this process does not hold that key (a dropped task's job
  // stops before it looks for its key); only a held key's cap grows back.
  const { slots, held } = context.keys.slotsOf(context.keys.accountOf(data));
  if (how === "finished" && held) await slots.releaseFinished(holder);
  else await slots.release(holder);
}
