import { UnrecoverableError } from "bullmq";
import type { ItemErrorKind, ItemStage } from "../store/item-result.ts";
import type { ItemJobData } from "./item-outcome.ts";

/**
 * The one failure protocol of the stages (issue 22). A processor either
 *
 * - throws an `ItemFailure`: it knows the item cannot succeed (a provider verdict, bad input, a
 *   deadline): the item fails now, whatever attempts are left; or
 * - throws any other error: it may pass on a later try (BullMQ retries the job with backoff).
 *
 * The stage wrapper (stage-processor.ts) alone decides whether a failure is final (an
 * ItemFailure, or any error on the job's last attempt), records the item's final result
 * (item-outcome.ts), writes the one log line, and fails the job for good with a `FinalFailure`.
 * Moves (DelayedError, RateLimitError) are not failures and pass through.
 */

/** Why an item failed, where. */
export interface ItemFailureReason {
  stage: ItemStage;
  kind: ItemErrorKind;
  /** What the item's result says. */
  message: string;
  /** The job's failed reason, when it differs from `message`; default `message`. */
  jobMessage?: string;
}

/** Thrown by a processor: this item cannot succeed. */
export class ItemFailure extends Error {
  override readonly name = "ItemFailure";
  readonly reason: ItemFailureReason;
  /** The item as the processor knows it when it fails (trace, files saved so far). */
  readonly item: ItemJobData;

  constructor(item: ItemJobData, reason: ItemFailureReason) {
    super(reason.jobMessage ?? reason.message);
    this.item = item;
    this.reason = reason;
  }
}

/**
 * Thrown by the stage wrapper only, once it has recorded and logged a final failure: BullMQ fails
 * the job for good (no retry), with the job's failed reason as its message; the worker's "failed"
 * event does not log it again.
 */
export class FinalFailure extends UnrecoverableError {
  constructor(message: string, cause: unknown) {
    // Keeps BullMQ's name: BullMQ also recognises an unrecoverable error by it.
    super(message);
    this.cause = cause;
  }
}
