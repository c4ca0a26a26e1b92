import { DelayedError, type Job } from "bullmq";
import type { SubmitJobData } from "../jobs/job-data.ts";
import { PIPELINE_DEFAULTS } from "../policy/pipeline-defaults.ts";
import { type RequestOwner, reuseDecision, sameOwner } from "../records/request-index.ts";
import { completeReusedItem } from "./item-outcome.ts";
import { type PipelineContext, toRealMs } from "./pipeline-context.ts";

/** Tries to take over a request whose owner changes under us, before giving up and rendering. */
const MAX_TAKE_OVER_TRIES = 3;

/**
 * Same request, same money (issue 13): before an item's first create, its request fingerprint is
 * claimed in the request index. The first item to claim it renders it ("render"). A later item
 * with the same request, in any batch:
 *
 * - owner completed: completes at once with the owner's files and `reusedFrom` ("reused");
 * - owner still queued or in flight: waits (the job is delayed, no attempt charged, no slot held)
 *   and looks again every `reuseRecheckSeconds`, so it is never paid for while the owner may
 *   still deliver;
 * - owner failed, cancelled or gone (its batch deleted, or a crash between claim and register):
 *   takes the request over and renders it itself, so no item is lost behind a failed owner.
 *
 * `enqueue --rerender` makes the item the owner whoever had it, and it renders. Re-submissions
 * (after a failed task) and jobs from older code without a fingerprint always render.
 */
export async function resolveRequestReuse(
  context: PipelineContext,
  job: Job,
  token: string | undefined,
  data: SubmitJobData,
): Promise<"render" | "reused"> {
  const fingerprint = data.request;
  if (fingerprint === undefined || data.submission > 0) return "render";
  const me: RequestOwner = { batchId: data.batchId, customId: data.customId };
  if (data.rerender === true) {
    await context.requests.replace(fingerprint, me);
    return "render";
  }
  for (let tries = 0; tries < MAX_TAKE_OVER_TRIES; tries++) {
    const owner = await context.requests.claim(fingerprint, me);
    if (sameOwner(owner, me)) return "render";
    const decision = reuseDecision(await context.store.itemState(owner.batchId, owner.customId));
    if (decision === "reuse") {
      const result = await context.store.itemResult(owner.batchId, owner.customId);
      if (result?.status === "completed" && result.files.length > 0) {
        await completeReusedItem(context, job, data, result);
        context.logger.info(
          {
            batchId: data.batchId,
            customId: data.customId,
            jobId: String(job.id),
            reusedFrom: owner,
          },
          `same request already rendered as ${owner.batchId}/${owner.customId}: reusing its files`,
        );
        return "reused";
      }
    } else if (decision === "wait") {
      // A cancelled batch's items end at the submit gate instead of waiting.
      if ((await context.control.read(data.batchId)).state === "cancelled") return "render";
      await job.moveToDelayed(
        context.now() + toRealMs(context, PIPELINE_DEFAULTS.reuseRecheckSeconds),
        token,
      );
      throw new DelayedError();
    }
    // Failed, cancelled, gone, or completed without files: render it ourselves.
    if (await context.requests.takeOver(fingerprint, owner, me)) return "render";
  }
  return "render";
}
