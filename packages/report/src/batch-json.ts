import { BATCH_STATES, type BatchOverview, WAITING_CODES } from "@veoq/pipeline";
import { z } from "zod";

const countsJson = z.object({
  queued: z.number().int(),
  processing: z.number().int(),
  downloading: z.number().int(),
  completed: z.number().int(),
  failed: z.number().int(),
  /** `veoq cancel`: never created, or no longer followed (--drop-in-flight). */
  cancelled: z.number().int(),
});

/** One batch as `veoq status --json`, `veoq demo --json` and the dashboard's /api print it. */
export const batchJson = z.object({
  batch_id: z.string(),
  source: z.string(),
  total: z.number().int(),
  counts: countsJson,
  done: z.number().int(),
  percent: z.number(),
  finished: z.boolean(),
  created_at: z.iso.datetime(),
  /** When the last item became final; null while items are open. */
  finished_at: z.iso.datetime().nullable(),
  /** Up to finished_at once the batch is final, so it stops growing. */
  elapsed_seconds: z.number(),
  /** Completed and failed items per second over elapsed_seconds (cancelled ones are not throughput). */
  items_per_second: z.number(),
  /**
   * Seconds left at the observed rate; null when finished, when nothing finished yet, and when
   * the batch is paused, stopped or cancelled (no ETA holds then: `state` says why).
   */
  eta_seconds: z.number().nullable(),
  /**
   * running, paused, stopped (submissions stopped by the provider's 401/402), cancelled, or
   * finished (every item final), as `veoq status` and the dashboard read it (pipeline's
   * batchStateOf); absent where the batch's control record was not read.
   */
  state: z.enum(BATCH_STATES).optional(),
  possible_duplicates: z.number().int(),
  resubmits: z.number().int(),
  /** Saved files flagged by VEOQ_VERIFY_OUTPUTS=warn (broken, or not what was asked). */
  flagged_files: z.number().int(),
  /**
   * Completed items that reused an earlier render of the same request (another batch's, no
   * create paid); their files are under this batch too (`<out>/<batch>/<custom_id>/`).
   */
  reused: z.number().int(),
  /**
   * Items wait to reuse the renders of another batch that is paused: which one, and why it is
   * paused (`user`, `budget`, `daily_budget`). Absent when no item waits on a paused batch.
   */
  reuse_wait: z
    .object({ batch_id: z.string(), reason: z.string(), since: z.iso.datetime() })
    .optional(),
  /**
   * Tasks of this batch wait for a worker holding the API key that created them (a worker without
   * it left one): the key's name (never the key), the stage (`poll`, `download`) and when it was
   * last left. Absent when no task waits for its key.
   */
  key_wait: z
    .object({ key: z.string(), stage: z.enum(["poll", "download"]), since: z.iso.datetime() })
    .optional(),
  /**
   * An enqueue of this batch stopped before the end of its manifest (Ctrl-C, Redis lost):
   * `lines` of `total_lines` manifest lines are in. Running the same enqueue again adds the rest
   * and removes this. Absent when every enqueue went through its manifest.
   */
  enqueue_incomplete: z
    .object({ lines: z.number().int(), total_lines: z.number().int() })
    .optional(),
  /** high, normal or low: the batch's share of the provider slots (where known). */
  priority: z.enum(["high", "normal", "low"]).optional(),
  /** Provider slots its tasks hold now, and their part of all slots held (0-1). */
  provider_slots: z.number().int().optional(),
  slot_share: z.number().optional(),
  /**
   * Why its open items wait (pipeline's waitingReasonOf): no live worker for a role, a stop or
   * pause, the budget, the provider's in-flight cap, the RPM pace; null when nothing holds them.
   */
  waiting_reason: z
    .object({ code: z.enum(WAITING_CODES), message: z.string() })
    .nullable()
    .optional(),
});
export type BatchJson = z.infer<typeof batchJson>;

/** Seconds until `remaining` items are final at `itemsPerSecond`; undefined when unknown. */
export function remainingSeconds(remaining: number, itemsPerSecond: number): number | undefined {
  if (remaining <= 0) return 0;
  if (!(itemsPerSecond > 0)) return undefined;
  return remaining / itemsPerSecond;
}

export function toBatchJson(batch: BatchOverview): BatchJson {
  const eta = batch.finished
    ? undefined
    : remainingSeconds(batch.total - batch.done, batch.itemsPerSecond);
  return {
    batch_id: batch.id,
    source: batch.source,
    total: batch.total,
    counts: {
      queued: batch.counts.queued,
      processing: batch.counts.processing,
      downloading: batch.counts.downloading,
      completed: batch.counts.completed,
      failed: batch.counts.failed,
      cancelled: batch.counts.cancelled,
    },
    done: batch.done,
    percent: batch.percent,
    finished: batch.finished,
    created_at: new Date(batch.createdAt).toISOString(),
    finished_at: batch.finishedAt === undefined ? null : new Date(batch.finishedAt).toISOString(),
    elapsed_seconds: batch.elapsedSeconds,
    items_per_second: batch.itemsPerSecond,
    eta_seconds: eta ?? null,
    possible_duplicates: batch.possibleDuplicates,
    resubmits: batch.resubmits,
    flagged_files: batch.flaggedFiles,
    reused: batch.reused,
    ...(batch.enqueueIncomplete === undefined
      ? {}
      : {
          enqueue_incomplete: {
            lines: batch.enqueueIncomplete.lines,
            total_lines: batch.enqueueIncomplete.totalLines,
          },
        }),
    ...(batch.keyWait === undefined ||
    batch.finished ||
    batch.counts.processing + batch.counts.downloading === 0
      ? {}
      : {
          key_wait: {
            key: batch.keyWait.key,
            stage: batch.keyWait.role,
            since: new Date(batch.keyWait.at).toISOString(),
          },
        }),
    ...(batch.reuseWait === undefined || batch.finished || batch.counts.queued === 0
      ? {}
      : {
          reuse_wait: {
            batch_id: batch.reuseWait.ownerBatchId,
            reason: batch.reuseWait.reason,
            since: new Date(batch.reuseWait.at).toISOString(),
          },
        }),
  };
}
