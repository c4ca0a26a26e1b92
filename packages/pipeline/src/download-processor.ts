import { mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { TaskResultOutput } from "@veoq/contract";
import { isProviderError } from "@veoq/provider-client";
import { type Job, UnrecoverableError } from "bullmq";
import { decideDownloadFailure } from "./failure-policy.ts";
import { stopIfDropped } from "./in-flight-drop.ts";
import {
  failureContextOf,
  isLastAttempt,
  itemErrorKindOf,
  recordItemFailure,
} from "./item-failure.ts";
import { recordItemOutcome } from "./item-outcome.ts";
import type { ItemResult } from "./item-result.ts";
import {
  type DownloadJobData,
  type DownloadOutput,
  downloadJobDataSchema,
  type SavedFile,
} from "./job-data.ts";
import { outputFilePath } from "./output-paths.ts";
import { type PipelineContext, toRealMs } from "./pipeline-context.ts";

/** Fresh task-result reads allowed per download job when URLs have expired. */
export const MAX_URL_REFRESHES = 3;

/**
 * Saves every output of a finished task to `<output>/<batch>/<custom_id>/<n>.<ext>`: streams to
 * a temporary name in the same folder, checks the byte count, hashes, then renames, so a file
 * under its final name is always complete. Files saved by an earlier try are not fetched again.
 * An expired URL leads to one fresh task-result read for new URLs before the job fails.
 */
export function createDownloadProcessor(context: PipelineContext) {
  return async function processDownload(job: Job): Promise<ItemResult> {
    const parsed = downloadJobDataSchema.safeParse(job.data);
    if (!parsed.success) {
      throw new UnrecoverableError(
        `download job ${job.id} has invalid data: ${parsed.error.message}`,
      );
    }
    let data: DownloadJobData = parsed.data;
    const dropped = await stopIfDropped(context, job, data, "download");
    if (dropped) return dropped;
    const log = context.logger.child({
      batchId: data.batchId,
      customId: data.customId,
      jobId: job.id,
      taskId: data.taskId,
    });

    for (const output of data.outputs) {
      if (data.saved.some((file) => file.index === output.index)) continue;
      const target = outputFilePath(
        context.settings.outputDir,
        data.batchId,
        data.customId,
        output.index,
        output.type ?? "mp4",
      );
      const temporary = `${target.absolute}.part-${process.pid}-${job.attemptsMade}`;
      await mkdir(path.dirname(target.absolute), { recursive: true });
      try {
        const downloaded = await context.client.downloadFile(output.url, temporary);
        await rename(temporary, target.absolute);
        const saved: SavedFile = {
          index: output.index,
          path: target.relative,
          bytes: downloaded.bytes,
          sha256: downloaded.sha256,
        };
        data = { ...data, saved: [...data.saved, saved] };
        context.observer.downloadSaved?.({ model: data.model, bytes: downloaded.bytes });
        // Progress for a retry; after the last file the item's final record follows at once.
        if (data.saved.length < data.outputs.length) await job.updateData(data);
        log.info({ file: target.relative, bytes: downloaded.bytes }, "output saved");
      } catch (error) {
        await rm(temporary, { force: true });
        data = await handleDownloadFailure(context, job, data, error);
        // URLs were refreshed: start over with the new ones (saved files are skipped).
        return processDownload(job);
      }
    }

    const result = await recordItemOutcome(context, {
      batchId: data.batchId,
      customId: data.customId,
      model: data.model,
      status: "completed",
      files: [...data.saved].sort((a, b) => a.index - b.index),
      errorKind: undefined,
      errorMessage: undefined,
      failedStage: undefined,
      failedJobId: undefined,
      submission: data.submission,
      trace: data.trace,
      submitJobId: data.submitJobId,
      hasMetadata: data.hasMetadata,
    });
    log.info({ files: result.files.length }, "item completed");
    return result;
  };
}

/** The outputs of a finished task as the download job keeps them: URL, type, when it expires. */
export function downloadOutputsOf(
  context: PipelineContext,
  videos: readonly TaskResultOutput[],
  now: number,
): DownloadOutput[] {
  return videos.map((video, index) => ({
    index,
    url: video.url,
    type: video.type,
    expiresAt:
      video.ttlSeconds === undefined ? undefined : now + toRealMs(context, video.ttlSeconds),
  }));
}

/** Returns data with fresh URLs when the failure was an expired URL and a refresh is left; throws otherwise. */
async function handleDownloadFailure(
  context: PipelineContext,
  job: Job,
  data: DownloadJobData,
  error: unknown,
): Promise<DownloadJobData> {
  const decision = isProviderError(error) ? decideDownloadFailure(error.kind) : "retry";
  if (decision === "refresh_urls" && data.refreshes < MAX_URL_REFRESHES) {
    return refreshUrls(context, job, data);
  }
  const message = error instanceof Error ? error.message : String(error);
  if (decision === "refresh_urls" || decision === "fail" || isLastAttempt(job)) {
    await recordItemFailure(context, {
      ...failureContextOf("download", data, job),
      errorKind: itemErrorKindOf(error),
      errorMessage: message,
    });
    if (decision !== "retry") throw new UnrecoverableError(message);
  }
  throw error instanceof Error ? error : new Error(message);
}

/**
 * Reads the task again for fresh URLs. The answer must still be a success with at least as many
 * videos as before; anything else fails the item (a partial set of files is never "completed").
 */
async function refreshUrls(
  context: PipelineContext,
  job: Job,
  data: DownloadJobData,
): Promise<DownloadJobData> {
  context.logger.warn(
    { batchId: data.batchId, customId: data.customId, jobId: job.id, taskId: data.taskId },
    "result URL expired: reading the task again for fresh URLs",
  );
  const fresh = await context.client.getTaskResult(data.taskId);
  if (fresh.status !== "SUCCEED" || fresh.videos.length < data.outputs.length) {
    const message = `result URLs of task ${data.taskId} expired and the provider no longer offers them (status ${fresh.status}, ${fresh.videos.length} of ${data.outputs.length} videos)`;
    await recordItemFailure(context, {
      ...failureContextOf("download", data, job),
      errorKind: "url_expired",
      errorMessage: message,
    });
    throw new UnrecoverableError(message);
  }
  const now = context.now();
  const refreshed: DownloadJobData = {
    ...data,
    refreshes: data.refreshes + 1,
    outputs: downloadOutputsOf(context, fresh.videos, now),
  };
  await job.updateData(refreshed);
  return refreshed;
}
