import { mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Logger } from "@veoq/logging";
import { isObjectStoreCredentialsError } from "@veoq/object-store";
import { isProviderError, type ProviderClient } from "@veoq/provider-client";
import { type Job, RateLimitError } from "bullmq";
import { OBJECT_STORE_STOP_PREFIX, stopDownloads } from "../jobs/credentials-stop.ts";
import {
  type DownloadJobData,
  downloadJobDataSchema,
  downloadOutputsOf,
  type SavedFile,
} from "../jobs/job-data.ts";
import { decideDownloadFailure } from "../policy/failure-policy.ts";
import { outputFilePath } from "../policy/output-paths.ts";
import { PIPELINE_DEFAULTS } from "../policy/pipeline-defaults.ts";
import type { ItemResult } from "../store/item-states.ts";
import { stopIfDropped } from "./in-flight-drop.ts";
import { checkOutput, OutputRejectedError } from "./output-check.ts";
import { keyOfTask, type PipelineContext, toRealMs } from "./pipeline-context.ts";
import {
  completeItem,
  ItemFailure,
  itemErrorKindOf,
  type StageRun,
  stageProcessor,
} from "./stage-processor.ts";

/**
 * Saves every output of a finished task to `<output>/<batch>/<custom_id>/<n>.<ext>`: streams to
 * a temporary name in the same folder, checks the byte count, hashes, then renames, so a file
 * under its final name is always complete. With VEOQ_OUTPUT_URL the same relative path is an
 * object key under the bucket prefix, written by a multipart upload straight from the provider
 * URL (nothing on local disk), then checked by ranged reads of the object, which is deleted when
 * the check rejects it (the same VEOQ_VERIFY_OUTPUTS verdicts as on disk). Files saved by an
 * earlier try are not fetched again.
 * An expired URL (401/403/404/410) leads to a fresh task-result read for new URLs, up to
 * PIPELINE_DEFAULTS.maxUrlRefreshes times per job, before the item fails.
 */
export function createDownloadProcessor(context: PipelineContext) {
  return stageProcessor(context, "download", downloadJobDataSchema, (run) =>
    saveOutputs(context, run),
  );
}

async function saveOutputs(
  context: PipelineContext,
  run: StageRun<DownloadJobData>,
): Promise<ItemResult> {
  const { job, log } = run;
  let data = run.data;
  const dropped = await stopIfDropped(context, job, data, "download");
  if (dropped) return dropped;
  const { client } = await keyOfTask(context, job, run.token, data, "download", log);
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
    const bucket = context.objectStore;
    const key = target.relative.split(path.sep).join("/");
    if (bucket === undefined) await mkdir(path.dirname(target.absolute), { recursive: true });
    try {
      // To the bucket: straight from the provider URL into a multipart upload of the same key
      // (a retry overwrites it). To disk: a temporary name, checked, then renamed once complete.
      const downloaded =
        bucket === undefined
          ? await client.downloadFile(output.url, temporary)
          : await client.downloadTo(output.url, async () =>
              bucket.openUpload(key, `video/${path.extname(key).slice(1)}`),
            );
      // On disk the temporary file is checked; in a bucket the uploaded object, by ranges.
      const facts = await checkOutput(
        context.settings.verifyOutputs,
        bucket === undefined ? temporary : () => bucket.openRead(key),
        data.video,
        { label: target.relative, triesLeft: !run.lastAttempt },
      ).catch(async (error: unknown) => {
        // A rejected object is not left under its final key (a retry writes it again).
        if (bucket !== undefined && error instanceof OutputRejectedError) {
          await bucket.delete(key);
        }
        throw error;
      });
      if (bucket === undefined) await rename(temporary, target.absolute);
      const saved: SavedFile = {
        index: output.index,
        path: target.relative,
        bytes: downloaded.bytes,
        sha256: downloaded.sha256,
        uri: bucket === undefined ? pathToFileURL(target.absolute).href : bucket.uriOf(key),
        ...facts,
      };
      data = { ...data, saved: [...data.saved, saved] };
      context.observer.downloadSaved?.({ model: data.model, bytes: downloaded.bytes });
      // Progress for a retry; after the last file the item's final record follows at once.
      if (data.saved.length < data.outputs.length) await job.updateData(data);
      if (facts.flagged)
        log.warn({ file: target.relative, flagged: facts.flagged }, "output flagged");
      log.info({ file: target.relative, bytes: downloaded.bytes }, "output saved");
    } catch (error) {
      if (bucket === undefined) await rm(temporary, { force: true });
      if (bucket !== undefined && isObjectStoreCredentialsError(error)) {
        throw await stopDownloadsFor(context, log, error);
      }
      data = await handleDownloadFailure(context, job, data, log, error, client);
      // URLs were refreshed: start over with the new ones (saved files are skipped).
      return saveOutputs(context, { ...run, data });
    }
  }

  const result = await completeItem(context, job, data);
  log.info({ files: result.files.length }, "item completed");
  return result;
}

/**
 * The bucket refused the credentials: every download would fail the same way, so the download
 * queue is paused (the way a provider 401/402 stops submissions) instead of failing items one by
 * one. The job goes back to the paused queue without using an attempt (RateLimitError). `veoq
 * resume`, or a worker that finds the store working again (start-workers.ts), lifts the stop.
 */
async function stopDownloadsFor(
  context: PipelineContext,
  log: Logger,
  error: unknown,
): Promise<RateLimitError> {
  const code = error instanceof Error ? error.name : "refused";
  const message = error instanceof Error ? error.message : String(error);
  await stopDownloads(
    context.store,
    context.queues,
    `${OBJECT_STORE_STOP_PREFIX}${code}: ${message}`,
  );
  log.error(
    { errorKind: "object_store_credentials", code },
    `CREDENTIALS STOP: the object store refused the credentials (${code}); the download queue is paused and no job was failed. Fix AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the bucket policy, then run \`veoq resume\` (workers also resume by themselves once the store accepts them).`,
  );
  return new RateLimitError();
}

/** Returns data with fresh URLs when the failure was an expired URL and a refresh is left; throws otherwise. */
async function handleDownloadFailure(
  context: PipelineContext,
  job: Job,
  data: DownloadJobData,
  log: Logger,
  error: unknown,
  client: ProviderClient,
): Promise<DownloadJobData> {
  const decision = isProviderError(error)
    ? decideDownloadFailure(error.kind)
    : error instanceof OutputRejectedError && !error.retryable
      ? "fail"
      : "retry";
  if (decision === "refresh_urls" && data.refreshes < PIPELINE_DEFAULTS.maxUrlRefreshes) {
    return refreshUrls(context, job, data, log, client);
  }
  const message = error instanceof Error ? error.message : String(error);
  if (decision === "refresh_urls" || decision === "fail") {
    throw new ItemFailure(data, { stage: "download", kind: itemErrorKindOf(error), message });
  }
  // Retryable: on the job's last attempt the stage wrapper fails the item with this error.
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
  log: Logger,
  client: ProviderClient,
): Promise<DownloadJobData> {
  log.warn("result URL expired: reading the task again for fresh URLs");
  const fresh = await client.getTaskResult(data.taskId);
  if (fresh.status !== "SUCCEED" || fresh.videos.length < data.outputs.length) {
    const message = `result URLs of task ${data.taskId} expired and the provider no longer offers them (status ${fresh.status}, ${fresh.videos.length} of ${data.outputs.length} videos)`;
    throw new ItemFailure(data, { stage: "download", kind: "url_expired", message });
  }
  const now = context.now();
  const refreshed: DownloadJobData = {
    ...data,
    refreshes: data.refreshes + 1,
    outputs: downloadOutputsOf(fresh.videos, now, (seconds) => toRealMs(context, seconds)),
  };
  await job.updateData(refreshed);
  return refreshed;
}
