/**
 * Deterministic job ids. Batch ids and custom ids are restricted to [A-Za-z0-9._-], so `~` can
 * never appear inside them and the ids cannot collide. BullMQ ignores an add whose id exists,
 * which makes every hand-off idempotent: a retried step re-adds the same id and nothing doubles.
 */
export const JOB_ID_SEPARATOR = "~";

/** Id of the submit job of an item's n-th submission (0 = from the manifest). */
export function submitJobId(batchId: string, customId: string, submission: number): string {
  const base = `${batchId}${JOB_ID_SEPARATOR}${customId}`;
  return submission === 0 ? base : `${base}${JOB_ID_SEPARATOR}s${submission}`;
}

/** Id of the poll job that follows the n-th submission's task. */
export function pollJobId(batchId: string, customId: string, submission: number): string {
  return `${batchId}${JOB_ID_SEPARATOR}${customId}${JOB_ID_SEPARATOR}p${submission}`;
}

/** Id of the download job of the n-th submission's task. */
export function downloadJobId(batchId: string, customId: string, submission: number): string {
  return `${batchId}${JOB_ID_SEPARATOR}${customId}${JOB_ID_SEPARATOR}d${submission}`;
}

/** A provider slot holder (store/provider-slots.ts): the item's submission, "<batch>~<custom>~<n>". */
export function slotHolder(batchId: string, customId: string, submission: number): string {
  return `${batchId}${JOB_ID_SEPARATOR}${customId}${JOB_ID_SEPARATOR}${submission}`;
}

/** The submission a slot holder names; undefined when it is not one of ours. */
export function submissionOfSlotHolder(
  holder: string,
): { batchId: string; customId: string; submission: number } | undefined {
  const parts = holder.split(JOB_ID_SEPARATOR);
  const [batchId, customId, submissionText] = parts;
  const submission = Number(submissionText);
  if (parts.length !== 3 || !batchId || !customId || !Number.isInteger(submission)) {
    return undefined;
  }
  return { batchId, customId, submission };
}

/** Batch ids share the custom id alphabet: they name folders in the output dir. */
export const BATCH_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export function isValidBatchId(value: string): boolean {
  return BATCH_ID_PATTERN.test(value) && value !== "." && value !== "..";
}
