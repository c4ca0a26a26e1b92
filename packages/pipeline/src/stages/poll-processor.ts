import type { TaskResult } from "@veoq/contract";
import type { Logger } from "@veoq/logging";
import { isProviderError } from "@veoq/provider-client";
import { DelayedError, type Job } from "bullmq";
import {
  type DownloadJobData,
  downloadOutputsOf,
  expiryPriority,
  type PollJobData,
  pollJobDataSchema,
} from "../jobs/job-data.ts";
import { addSubmission, originalRequestOf } from "../jobs/resubmission.ts";
import { decidePollFailure, reasonLooksTransient } from "../policy/failure-policy.ts";
import { PIPELINE_DEFAULTS } from "../policy/pipeline-defaults.ts";
import {
  isPastDeadline,
  nextPollDelaySeconds,
  pollErrorDelaySeconds,
} from "../policy/poll-policy.ts";
import { bestEffort, finishedTaskSeconds } from "../store/duration-history.ts";
import { downloadJobId, submitJobId } from "../store/keys.ts";
import { stopIfDropped } from "./in-flight-drop.ts";
import {
  keyOfTask,
  type PipelineContext,
  toProviderSeconds,
  toRealMs,
} from "./pipeline-context.ts";
import { ItemFailure, type StageRun, stageProcessor } from "./stage-processor.ts";
import { releaseTaskSlot } from "./submit-attempt.ts";

export type PollOutcome =
  | { outcome: "succeeded"; downloadJobId: string }
  | { outcome: "dropped" }
  | { outcome: "resubmitted"; submitJobId: string };

/**
 * A step job: reads the task's result and, while it is not final, re-delays ITSELF (same job id,
 * moveToDelayed + DelayedError) for the time the poll policy says. Re-delays are not attempts;
 * the deadline bounds them. Poll errors only push the next poll back.
 */
export function createPollProcessor(context: PipelineContext) {
  return stageProcessor(context, "poll", pollJobDataSchema, (run) => poll(context, run));
}

async function poll(
  context: PipelineContext,
  { job, token, data, log }: StageRun<PollJobData>,
): Promise<PollOutcome> {
  if (await stopIfDropped(context, job, data, "poll")) return { outcome: "dropped" };
  const key = await keyOfTask(context, job, token, data, "poll", log);
  const elapsedSeconds = toProviderSeconds(context, context.now() - data.createdAt);

  let result: TaskResult;
  try {
    result = await key.client.getTaskResult(data.taskId);
  } catch (error) {
    if (!isProviderError(error)) throw error;
    const pollErrors = data.pollErrors + 1;
    const waitSeconds =
      decidePollFailure(error.kind) === "credentials_delay"
        ? PIPELINE_DEFAULTS.credentialsPollDelaySeconds
        : pollErrorDelaySeconds(
            pollErrors,
            error.retryAfterMs === undefined
              ? undefined
              : toProviderSeconds(context, error.retryAfterMs),
            context.settings.pollPolicy,
          );
    log.warn(
      { errorKind: error.kind, pollErrors },
      `poll failed, next in ${waitSeconds.toFixed(1)}s: ${error.message}`,
    );
    // No deadline here: an outage or a credentials problem must not fail paid tasks that may
    // well be done; the deadline applies once an answer says the task is still running.
    await Promise.all([
      job.log(`poll failed (${error.kind}), next in ${waitSeconds.toFixed(1)} s: ${error.message}`),
      job.updateData({ ...data, pollErrors }),
    ]);
    await job.moveToDelayed(context.now() + toRealMs(context, waitSeconds), token);
    throw new DelayedError();
  }

  const trace = { ...data.trace, polls: data.trace.polls + 1 };
  const taskPolls = data.taskPolls + 1;
  if (result.status === "SUCCEED" || result.status === "FAILED") {
    const renderSeconds =
      result.status === "SUCCEED"
        ? renderSecondsOf(context, data, result, elapsedSeconds)
        : undefined;
    context.observer.taskFinished?.({
      model: data.model,
      status: result.status,
      polls: taskPolls,
      // From the task's end (as best known) to this poll that saw it, in real seconds.
      ...(renderSeconds === undefined
        ? {}
        : {
            detectionLagSeconds:
              toRealMs(context, Math.max(0, elapsedSeconds - renderSeconds)) / 1000,
          }),
    });
    // Only the run that frees the slot grows the cap: a re-run after a stall must not count twice.
    await Promise.all([
      renderSeconds === undefined ? undefined : recordFinishedTask(context, data, renderSeconds),
      releaseTaskSlot(context, data, "finished"),
    ]);
  }
  switch (result.status) {
    case "SUCCEED":
      return handOffToDownload(context, { ...data, trace }, result);
    case "FAILED":
      return handleFailedTask(context, job, { ...data, trace }, log, result.reason);
    default: {
      if (isPastDeadline(elapsedSeconds, context.settings.pollDeadlineSeconds)) {
        return failTimedOut(context, { ...data, trace }, elapsedSeconds);
      }
      const [profile, itemsWaiting] = await Promise.all([
        bestEffort(context.logger, "duration history unavailable; polling without it", () =>
          context.durationHistory.profile(data),
        ),
        bestEffort(context.logger, "slot wait unknown; polling as if none", () =>
          context.slots.itemsWaiting(),
        ),
      ]);
      const etaReported = result.etaSeconds !== undefined;
      const waitSeconds = nextPollDelaySeconds(
        {
          elapsedSeconds,
          etaSeconds: result.etaSeconds,
          progressPercent: result.progressPercent,
          gridStartSeconds: data.gridStartSeconds,
          itemsWaiting: itemsWaiting ?? false,
        },
        context.settings.pollPolicy,
        context.random,
        profile,
      );
      // Never sleep past the deadline: the last poll lands on it.
      const untilDeadline = context.settings.pollDeadlineSeconds - elapsedSeconds;
      const delaySeconds = Math.max(0, Math.min(waitSeconds, untilDeadline));
      // Independent writes, sent together; the re-delay comes after them. The progress goes in
      // the data (lastProgress), which is written anyway.
      await Promise.all([
        profile !== undefined && (profile.etaReported ?? false) !== etaReported
          ? bestEffort(context.logger, "could not record whether the provider sends eta", () =>
              context.durationHistory.recordEtaReported(data, etaReported),
            )
          : undefined,
        data.lastStatus === result.status
          ? undefined
          : job.log(`task ${data.taskId} is ${result.status}`),
        job.updateData({
          ...data,
          trace,
          taskPolls,
          lastStatus: result.status,
          ...(result.progressPercent === undefined
            ? {}
            : { lastProgress: Math.max(0, Math.min(100, result.progressPercent)) }),
          lastPollSeconds: elapsedSeconds,
        }),
      ]);
      await job.moveToDelayed(context.now() + toRealMs(context, delaySeconds), token);
      throw new DelayedError();
    }
  }
}

/** How long a task that just succeeded took (provider seconds), when anything reliable is known. */
function renderSecondsOf(
  context: PipelineContext,
  data: PollJobData,
  result: TaskResult,
  elapsedSeconds: number,
): number | undefined {
  return finishedTaskSeconds({
    providerSeconds:
      result.providerDurationMs === undefined
        ? undefined
        : toProviderSeconds(context, result.providerDurationMs),
    elapsedSeconds,
    lastPollSeconds: data.lastPollSeconds,
    clockReset: data.clockReset,
  });
}

/** Adds a succeeded task's render time to the duration history. */
async function recordFinishedTask(
  context: PipelineContext,
  data: PollJobData,
  seconds: number,
): Promise<void> {
  await bestEffort(context.logger, "could not record the task duration", () =>
    context.durationHistory.record(data, seconds),
  );
}

async function handOffToDownload(
  context: PipelineContext,
  data: PollJobData,
  result: TaskResult,
): Promise<PollOutcome> {
  const now = context.now();
  const trace = { ...data.trace, finishedAt: now };
  if (result.videos.length === 0) {
    throw new ItemFailure(
      { ...data, trace },
      {
        stage: "poll",
        kind: "malformed_response",
        message: `task ${data.taskId} succeeded without any video URL`,
      },
    );
  }
  const outputs = downloadOutputsOf(result.videos, now, (seconds) => toRealMs(context, seconds));
  const soonest = Math.min(...outputs.map((o) => o.expiresAt ?? Number.POSITIVE_INFINITY));
  const id = downloadJobId(data.batchId, data.customId, data.submission);
  const downloadData: DownloadJobData = {
    v: 1,
    batchId: data.batchId,
    customId: data.customId,
    model: data.model,
    submission: data.submission,
    submitJobId: data.submitJobId,
    taskId: data.taskId,
    ...(data.keyName === undefined ? {} : { keyName: data.keyName }),
    ...(data.keyAccount === undefined ? {} : { keyAccount: data.keyAccount }),
    outputs,
    video: data.video,
    saved: [],
    refreshes: 0,
    trace,
    ...(data.hasMetadata === undefined ? {} : { hasMetadata: data.hasMetadata }),
  };
  // States only move forward, so the two writes may land in either order.
  await Promise.all([
    context.queues.download.add("download", downloadData, {
      jobId: id,
      priority: expiryPriority(soonest, now),
      attempts: context.settings.downloadAttempts,
      backoff: { type: "veoq" },
    }),
    context.store.transition(data.batchId, data.customId, "downloading"),
  ]);
  return { outcome: "succeeded", downloadJobId: id };
}

async function handleFailedTask(
  context: PipelineContext,
  job: Job,
  data: PollJobData,
  log: Logger,
  reason: string | undefined,
): Promise<PollOutcome> {
  const message = reason?.trim() || "the provider reported the task as failed without a reason";
  if (reasonLooksTransient(reason) && data.submission < context.settings.maxResubmits) {
    const request = await originalRequestOf(context.queues, data.submitJobId);
    if (request !== undefined) {
      const submission = data.submission + 1;
      const alreadyResubmitted =
        (await context.queues.submit.getJob(
          submitJobId(data.batchId, data.customId, submission),
        )) !== undefined;
      const id = await addSubmission(
        context.queues,
        request,
        submission,
        data.trace,
        context.settings.submitAttempts,
        "task_failed",
      );
      if (!alreadyResubmitted) await context.store.incrementCounter(data.batchId, "resubmits");
      log.warn(
        { reason: message, submission },
        "task failed with a transient-looking reason: submitting a new task",
      );
      await job.log(`task ${data.taskId} failed (${message}); new submission ${id}`);
      return { outcome: "resubmitted", submitJobId: id };
    }
    log.error(
      { submitJobId: data.submitJobId },
      "cannot re-submit: the original submit job is gone",
    );
  }
  throw new ItemFailure(data, {
    stage: "poll",
    kind: "task_failed",
    message,
    jobMessage: `task ${data.taskId} failed: ${message}`,
  });
}

async function failTimedOut(
  context: PipelineContext,
  data: PollJobData,
  elapsedSeconds: number,
): Promise<never> {
  await releaseTaskSlot(context, data, "abandoned");
  const message = `task ${data.taskId} not final after ${Math.round(elapsedSeconds)}s (deadline ${context.settings.pollDeadlineSeconds}s)`;
  throw new ItemFailure(data, { stage: "poll", kind: "timeout", message });
}
