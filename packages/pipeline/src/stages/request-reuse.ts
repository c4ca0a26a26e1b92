import type { Logger } from "@veoq/logging";
import { DelayedError, type Job } from "bullmq";
import type { SubmitJobData } from "../jobs/job-data.ts";
import { PIPELINE_DEFAULTS } from "../policy/pipeline-defaults.ts";
import type { ItemResult } from "../store/item-states.ts";
import { type RequestOwner, reuseDecision, sameOwner } from "../store/request-index.ts";
import { type PipelineContext, toRealMs } from "./pipeline-context.ts";
import { placeReusedFiles } from "./reused-files.ts";
import { completeReusedItem } from "./stage-processor.ts";

/** Tries to take over a request whose owner changes under us, before giving up and rendering. */
const MAX_TAKE_OVER_TRIES = 3;

/** What the item does about its request: render it, reuse finished files, or follow a dropped task. */
export type ReuseOutcome = "render" | "reused" | { adopted: SubmitJobData };

/**
 * Same request, same money (issue 13): before an item's first create, its request fingerprint is
 * claimed in the request index. The first item to claim it renders it ("render"). A later item
 * with the same request, in any batch:
 *
 * - owner completed: completes at once with the owner's files, placed under its own batch
 *   (reused-files.ts: hard links, or server-side copies in a bucket), and `reusedFrom` ("reused");
 * - owner still queued or in flight: waits (the job is delayed, no attempt charged, no slot held)
 *   and looks again every `reuseRecheckSeconds`, so it is never paid for while the owner may
 *   still deliver. When the owner's batch is paused, the waiting batch records why
 *   (`BatchRecord.reuseWait`, shown by `veoq status`) and logs it once;
 * - owner cancelled with `--drop-in-flight` after its task was created: takes the request over
 *   and follows that paid task itself ("adopted": the job data now carries its task id), so the
 *   request is paid once, not twice;
 * - owner failed, cancelled before its create, or gone (its batch deleted, or a crash between
 *   claim and register): takes the request over and renders it itself, so no item is lost
 *   behind a failed owner.
 *
 * `enqueue --rerender` makes the item the owner whoever had it, and it renders. Re-submissions
 * (after a failed task) and jobs from older code without a fingerprint always render.
 */
export async function resolveRequestReuse(
  context: PipelineContext,
  job: Job,
  token: string | undefined,
  data: SubmitJobData,
): Promise<ReuseOutcome> {
  const fingerprint = data.request;
  if (fingerprint === undefined || data.submission > 0) return "render";
  const me: RequestOwner = { batchId: data.batchId, customId: data.customId };
  if (data.rerender === true) {
    await context.requests.replace(fingerprint, me);
    return "render";
  }
  const log = context.logger.child({
    batchId: data.batchId,
    customId: data.customId,
    jobId: String(job.id),
  });
  for (let tries = 0; tries < MAX_TAKE_OVER_TRIES; tries++) {
    const owner = await context.requests.claim(fingerprint, me);
    if (sameOwner(owner, me)) return "render";
    const ownerState = await context.store.itemState(owner.batchId, owner.customId);
    const decision = reuseDecision(ownerState);
    if (decision === "wait") {
      // A cancelled batch's items end at the submit gate instead of waiting.
      if ((await context.control.read(data.batchId)).state === "cancelled") return "render";
      await noteOwnerPause(context, data.batchId, owner, log);
      await job.moveToDelayed(
        context.now() + toRealMs(context, PIPELINE_DEFAULTS.reuseRecheckSeconds),
        token,
      );
      throw new DelayedError();
    }
    await context.store.clearReuseWait(data.batchId);
    if (decision === "reuse") {
      const result = await context.store.itemResult(owner.batchId, owner.customId);
      // Its files under this item's own batch too (gone: render it ourselves, below).
      const files =
        result?.status === "completed" && result.files.length > 0
          ? await placeReusedFiles(context, data.batchId, data.customId, result.files)
          : undefined;
      if (result !== undefined && files !== undefined) {
        await completeReusedItem(context, job, data, { ...result, files });
        await context.store.incrementCounter(data.batchId, "reused");
        log.info(
          { reusedFrom: owner },
          `same request already rendered as ${owner.batchId}/${owner.customId}: reusing its files`,
        );
        return "reused";
      }
    }
    const dropped =
      ownerState === "cancelled"
        ? droppedTaskOf(
            await context.store.itemResult(owner.batchId, owner.customId),
            // A task older than the poll deadline may be gone at the provider: render instead.
            context.now() - toRealMs(context, context.settings.pollDeadlineSeconds),
          )
        : undefined;
    // Failed, cancelled, gone, or completed without files: render it ourselves (or follow the
    // owner's dropped task).
    if (!(await context.requests.takeOver(fingerprint, owner, me))) continue;
    if (dropped === undefined) return "render";
    const adopted = adoptDroppedTask(data, dropped, context.now());
    await Promise.all([
      job.updateData(adopted),
      context.store.indexTask(dropped.taskId, data.batchId, data.customId),
    ]);
    log.info(
      { taskId: dropped.taskId, adoptedFrom: owner, key: dropped.keyName },
      `batch ${owner.batchId} dropped its paid task for this request (cancel --drop-in-flight): following that task instead of creating a new one`,
    );
    return { adopted };
  }
  return "render";
}

/** A paid task a cancelled item stopped following, and the name of the key that created it. */
export interface DroppedTask {
  taskId: string;
  createdAt: number | undefined;
  /** The creating key's name (absent: the first key); the adopter polls with that key. */
  keyName: string | undefined;
  /** That key's account id, written with `keyName` (store/recorded-key.ts). */
  keyAccount?: string | undefined;
}

/**
 * The submit job's data once it follows `dropped` (no create of its own). The task's key, name
 * and account, replace whatever key an earlier try of this job recorded: a task recorded
 * without one is the first key's, never the key this job once sent a create through.
 */
export function adoptDroppedTask(
  data: SubmitJobData,
  dropped: DroppedTask,
  now: number,
): SubmitJobData {
  const { keyName: _name, keyAccount: _account, ...rest } = data;
  return {
    ...rest,
    taskId: dropped.taskId,
    // Polled and downloaded with the key that created it (a key name, never the key).
    ...(dropped.keyName === undefined ? {} : { keyName: dropped.keyName }),
    ...(dropped.keyAccount === undefined ? {} : { keyAccount: dropped.keyAccount }),
    createdAt: dropped.createdAt ?? now,
    trace: {
      ...data.trace,
      taskIds: [...data.trace.taskIds, dropped.taskId],
      submittedAt: data.trace.submittedAt ?? dropped.createdAt ?? now,
    },
  };
}

/**
 * The paid task a cancelled item stopped following (--drop-in-flight), if it had one created
 * after `notBefore` (ms).
 */
export function droppedTaskOf(
  result: ItemResult | undefined,
  notBefore: number,
): DroppedTask | undefined {
  if (result?.status !== "cancelled" || result.failedStage === "submit") return undefined;
  const taskId = result.taskIds.at(-1);
  if (taskId === undefined || (result.submittedAt ?? 0) < notBefore) return undefined;
  return {
    taskId,
    createdAt: result.submittedAt,
    keyName: result.keyName,
    ...(result.keyAccount === undefined ? {} : { keyAccount: result.keyAccount }),
  };
}

/**
 * The item waits on `owner`: when the owner's batch is paused, records on the waiting batch why
 * (shown by `veoq status`), and logs it when that is news.
 */
async function noteOwnerPause(
  context: PipelineContext,
  batchId: string,
  owner: RequestOwner,
  log: Logger,
): Promise<void> {
  const control = await context.control.read(owner.batchId);
  if (control.state !== "paused") {
    await context.store.clearReuseWait(batchId);
    return;
  }
  const changed = await context.store.setReuseWait(batchId, {
    ownerBatchId: owner.batchId,
    reason: control.reason,
    at: context.now(),
  });
  if (changed) {
    log.warn(
      { waitingOn: owner, ownerPause: control.reason },
      `waiting for batch ${owner.batchId}, which renders the same request and is paused (${control.reason}): this batch goes on when it resumes (\`veoq resume ${owner.batchId}\`), or enqueue with --rerender to pay for its own renders`,
    );
  }
}
