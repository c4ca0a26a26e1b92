import {
  type CreateRequest,
  durationSecondsOf,
  requestedVideoOf,
  sampleCountOf,
} from "@veoq/contract";
import type { Logger } from "@veoq/logging";
import { ImageFileError, inlineLocalImages } from "@veoq/manifest";
import { isObjectStoreCredentialsError } from "@veoq/object-store";
import { requestCost } from "@veoq/pricing";
import { isProviderError, type ProviderError } from "@veoq/provider-client";
import { DelayedError, type Job, RateLimitError } from "bullmq";
import { OBJECT_STORE_STOP_PREFIX, stopSubmissions } from "../jobs/credentials-stop.ts";
import { type PollJobData, type SubmitJobData, submitJobDataSchema } from "../jobs/job-data.ts";
import type { ProviderKey } from "../keys/provider-keys.ts";
import { decideSubmitFailure } from "../policy/failure-policy.ts";
import { PIPELINE_DEFAULTS } from "../policy/pipeline-defaults.ts";
import { gridStartSeconds, initialPollDelaySeconds } from "../policy/poll-policy.ts";
import { createCertainlyNotMade } from "../policy/spend-policy.ts";
import { bestEffort } from "../store/duration-history.ts";
import { pollJobId } from "../store/keys.ts";
import { type PipelineContext, toRealMs } from "./pipeline-context.ts";
import { resolveRequestReuse } from "./request-reuse.ts";
import { ItemFailure, type StageRun, stageProcessor } from "./stage-processor.ts";
import {
  endEarlierAttempt,
  type NoKeyFree,
  passSubmitGate,
  type SubmitAttempt,
  withSubmitAttempt,
} from "./submit-attempt.ts";

export type SubmitResult =
  | { taskId: string; pollJobId: string }
  | { cancelled: true }
  | { reused: true };

/**
 * Creates the provider task for one item, records its id on the job before anything else, then
 * hands the item to the poll queue under a deterministic id. A retry that finds a task id on the
 * job skips the create: the only window in which a crash can pay twice is between the provider's
 * answer and `updateData`, and ambiguous (sent, unanswered) creates are counted on the batch.
 */
export function createSubmitProcessor(context: PipelineContext) {
  return stageProcessor(context, "submit", submitJobDataSchema, (run) => submit(context, run));
}

async function submit(
  context: PipelineContext,
  { job, token, data: parsed, log }: StageRun<SubmitJobData>,
): Promise<SubmitResult> {
  let data: SubmitJobData = parsed;
  if (data.taskId === undefined && data.createSentAt !== undefined) {
    data = await bookUnrecordedCreate(context, job, data, log);
  }
  if (data.taskId === undefined) {
    // The same request rendered (or being rendered) by another item: no create, no money.
    const reuse = await resolveRequestReuse(context, job, token, data);
    if (reuse === "reused") return { reused: true };
    // Another batch dropped its paid task for this request: follow that task (no create).
    if (reuse !== "render") data = reuse.adopted;
  }
  if (data.taskId === undefined) {
    // The key with the most free capacity (keys/provider-keys.ts); one key: its slots.
    const costMicros = requestCost(context.prices, data.model, data.input).costMicros;
    const created = await withSubmitAttempt(
      context,
      data,
      (attempt, key) =>
        createTask(context, job, token, data, log.child({ key: key.name }), attempt, key),
      { costMicros, whenNoKey: (why) => waitForKey(context, job, token, log, why) },
    );
    if ("cancelled" in created) return created;
    data = created;
  } else {
    // The child logger already names the task. A crash may have come between the create and
    // ending its attempt (nothing to settle for a task adopted from another batch).
    log.info("task already created (by an earlier try, or adopted); handing off");
    await endEarlierAttempt(context, data, "created");
  }

  const taskId = data.taskId as string;
  await context.hooks.afterTaskRecorded?.(taskId);

  const pollId = pollJobId(data.batchId, data.customId, data.submission);
  const videoSeconds = durationSecondsOf(data.model, data.input as CreateRequest);
  const pollData: PollJobData = {
    v: 1,
    batchId: data.batchId,
    customId: data.customId,
    model: data.model,
    submission: data.submission,
    submitJobId: String(job.id),
    taskId,
    ...(data.keyName === undefined ? {} : { keyName: data.keyName }),
    ...(data.keyAccount === undefined ? {} : { keyAccount: data.keyAccount }),
    createdAt: data.createdAt ?? context.now(),
    durationSeconds: videoSeconds,
    sampleCount: sampleCountOf(data.model, data.input as CreateRequest),
    video: requestedVideoOf(data.model, data.input as CreateRequest),
    taskPolls: 0,
    pollErrors: 0,
    trace: data.trace,
    hasMetadata: data.metadata !== undefined,
  };
  const profile = await bestEffort(
    context.logger,
    "duration history unavailable; polling without it",
    () => context.durationHistory.profile(pollData),
  );
  const firstPollSeconds = initialPollDelaySeconds(
    data.model,
    videoSeconds,
    context.settings.pollPolicy,
    profile,
  );
  pollData.gridStartSeconds = gridStartSeconds(context.settings.pollPolicy, profile);
  const sinceCreate = context.now() - pollData.createdAt;
  const delay = Math.max(0, toRealMs(context, firstPollSeconds) - sinceCreate);
  // States only move forward, so the two writes may land in either order.
  await Promise.all([
    context.queues.poll.add("poll", pollData, {
      jobId: pollId,
      delay,
      attempts: PIPELINE_DEFAULTS.pollJobAttempts,
      backoff: { type: "veoq" },
    }),
    context.store.transition(data.batchId, data.customId, "processing"),
  ]);
  return { taskId, pollJobId: pollId };
}

/**
 * One attempt's way to a created task, inside its submit attempt (submit-attempt.ts), which holds
 * the slot (on `key`, the API key chosen for it) and the reservation and gives them back or
 * hands them on. Returns the job data with the task id (and the key's name: its polls and
 * downloads go with that key), or `cancelled` when the gate found the batch cancelled.
 */
async function createTask(
  context: PipelineContext,
  job: Job,
  token: string | undefined,
  submitData: SubmitJobData,
  log: Logger,
  attempt: SubmitAttempt,
  key: ProviderKey,
): Promise<SubmitJobData | { cancelled: true }> {
  let data = submitData;
  let body: Record<string, unknown>;
  try {
    const bucket = context.objectStore;
    body = await inlineLocalImages(
      data.model,
      data.input,
      data.localImages,
      context.imageCache,
      bucket === undefined ? undefined : (uri) => bucket.read(uri),
    );
  } catch (error) {
    const cause = error instanceof ImageFileError ? error.cause : error;
    if (bucketRefused(context, cause)) {
      // The bucket refuses its credentials: every item would fail the same way. Stop
      // submissions as a provider 401/402 does; no item fails, no attempt is charged.
      const code = cause instanceof Error ? cause.name : "refused";
      await stopSubmissions(
        context.store,
        context.queues,
        `${OBJECT_STORE_STOP_PREFIX}${code}: ${cause instanceof Error ? cause.message : String(cause)}`,
      );
      log.error(
        { errorKind: "object_store_credentials", code },
        `CREDENTIALS STOP: the object store refused the credentials (${code}) reading an input image; the submit queue is paused and no job was failed. Fix AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the bucket policy, then run \`veoq resume\` (workers also resume by themselves once the store accepts them).`,
      );
      throw new RateLimitError();
    }
    if (error instanceof ImageFileError) {
      throw new ItemFailure(data, {
        stage: "submit",
        kind: "invalid_input",
        message: error.message,
      });
    }
    throw error;
  }
  // Pause, cancel and budgets, checked atomically right before the create.
  if ((await passSubmitGate(context, job, token, data, attempt)) === "cancelled") {
    return { cancelled: true };
  }
  // The item's turn has come: batches enqueued from now on start level with it.
  if (data.turn !== undefined) await context.fairShare.advance(data.turn);
  // Paced last, right before the request, so the spacing holds where the provider counts it.
  const rateWaitMs = await key.rate.take();
  if (rateWaitMs > 0) {
    // Not created: slot and reservation go back (the gate reserves again when the job returns).
    await attempt.end("not_created");
    // In a pool the other keys go on: the next choice skips this one until its pace allows.
    if (!context.keys.pooled) await context.queues.submit.rateLimit(rateWaitMs);
    throw new RateLimitError();
  }
  data = { ...data, trace: { ...data.trace, submitAttempts: data.trace.submitAttempts + 1 } };
  let taskId: string;
  try {
    // Marked before it is sent: a crash from here until the outcome is recorded leaves a
    // possible duplicate the next try books (bookUnrecordedCreate).
    attempt.markSent();
    // The key it goes through, by name and account (never the key): whichever worker takes
    // the job next settles that key's reservation by it (endEarlierAttempt), held there or not.
    data = { ...data, keyName: key.name, keyAccount: key.account };
    await job.updateData({ ...data, createSentAt: context.now() });
    ({ taskId } = await key.client.createTask(data.model, body as CreateRequest));
  } catch (error) {
    // No task was made (or, if ambiguous, it is not ours to track): the retry takes a slot again.
    const notMade = createCertainlyNotMade(isProviderError(error) ? error : undefined);
    await attempt.end(notMade ? "not_created" : "maybe_created");
    await job.updateData(data);
    throw await handleCreateFailure(context, job, data, log, error, key, attempt.slotsHeldAtTake);
  }
  await context.hooks.afterCreateAnswered?.(taskId);
  const createdAt = context.now();
  data = {
    ...data,
    taskId,
    createdAt,
    trace: {
      ...data.trace,
      taskIds: [...data.trace.taskIds, taskId],
      submittedAt: data.trace.submittedAt ?? createdAt,
    },
  };
  await Promise.all([
    job.updateData(data),
    context.store.indexTask(taskId, data.batchId, data.customId),
    // Also books the create and its cost on the key (its daily budget's reservation).
    attempt.end("created"),
  ]);
  log.info({ taskId }, "task created");
  return data;
}

/**
 * An earlier try of this job sent a create (`createSentAt`) and never recorded its outcome: it
 * died between the provider's answer and `taskId` (the crash window), or just before sending.
 * The task may exist, unfollowed and billed: its reservation is booked as spent (the next create
 * reserves anew, so the budget sees both) and the item counts a possible duplicate. Returns the
 * data without the mark.
 */
async function bookUnrecordedCreate(
  context: PipelineContext,
  job: Job,
  data: SubmitJobData,
  log: Logger,
): Promise<SubmitJobData> {
  await endEarlierAttempt(context, data, "maybe_created");
  await context.store.incrementCounter(data.batchId, "possibleDuplicates");
  log.warn(
    { createSentAt: data.createSentAt },
    "an earlier try sent a create and died before recording its answer: the task may exist twice (booked as spent, counted in possible duplicates)",
  );
  const { createSentAt: _sent, ...rest } = data;
  await job.updateData(rest);
  return rest;
}

/**
 * Turns a failed create into the signal its kind calls for (an ItemFailure, a retryable error, or a
 * BullMQ move); returns the error to throw.
 */
async function handleCreateFailure(
  context: PipelineContext,
  job: Job,
  data: SubmitJobData,
  log: Logger,
  error: unknown,
  key: ProviderKey,
  heldAtCreate: number,
): Promise<Error> {
  if (!isProviderError(error)) return error instanceof Error ? error : new Error(String(error));
  switch (decideSubmitFailure(error.kind)) {
    case "fail":
      return new ItemFailure(data, {
        stage: "submit",
        kind: error.kind,
        message: error.providerMessage ?? error.message,
        jobMessage: error.message,
      });
    case "rate_limit": {
      const waitMs = error.retryAfterMs ?? PIPELINE_DEFAULTS.rateLimitWaitMs;
      if (error.limitScope === "concurrency") {
        // The cap was found: wait for a release (or Retry-After), not for a timer alone.
        // In a pool the queue does not wait: the other keys may have free slots.
        const cap = await key.slots.settle(context.keys.pooled ? 0 : waitMs, heldAtCreate);
        log.warn({ cap, waitMs }, "provider cap on concurrent tasks reached: in-flight cap set");
        return new RateLimitError();
      }
      if (context.keys.pooled) {
        // This key cools down (Retry-After honoured); the other keys go on.
        await Promise.all([
          context.keys.count(key, "rateLimited"),
          context.keys.coolDown(key, context.now() + waitMs),
          key.rate.defer(context.now() + waitMs),
        ]);
        log.warn(
          { waitMs, limitScope: error.limitScope },
          `provider rate limit on key ${key.name}: that key cools down, the others go on`,
        );
        return new RateLimitError();
      }
      log.warn({ waitMs, limitScope: error.limitScope }, "provider rate limit: submit queue waits");
      await key.rate.defer(context.now() + waitMs);
      await context.queues.submit.rateLimit(waitMs);
      return new RateLimitError();
    }
    case "credentials_stop": {
      if (context.keys.pooled) return stopKey(context, log, key, error);
      await stopSubmissions(context.store, context.queues, `${error.kind}: ${error.message}`);
      log.error(
        { errorKind: error.kind },
        `CREDENTIALS STOP: the provider answered ${error.status ?? ""} (${error.kind}); the submit queue is paused and no job was failed. Fix JIEKOU_API_KEY or the account balance, then run \`veoq resume\`.`,
      );
      // Back to the (now paused) wait list without charging an attempt.
      return new RateLimitError();
    }
    case "retry_possible_duplicate":
      await context.store.incrementCounter(data.batchId, "possibleDuplicates");
      log.warn(
        { errorKind: error.kind },
        "create sent but unanswered: retrying, the task may exist twice",
      );
      break;
    case "retry":
      log.warn(
        { errorKind: error.kind, attempt: job.attemptsMade + 1 },
        `create failed: ${error.message}`,
      );
      break;
  }
  // Retryable: on the job's last attempt the stage wrapper fails the item with this error.
  return error;
}

/**
 * A 401/402 on one key of a pool: that key alone stops (the stop names it); the job goes back
 * for another key. When every key is stopped, it is the deployment's credentials stop.
 */
async function stopKey(
  context: PipelineContext,
  log: Logger,
  key: ProviderKey,
  error: ProviderError,
): Promise<Error> {
  const reason = `${error.kind}: ${error.message}`;
  if (await context.keys.stop(key, reason)) {
    log.error(
      { errorKind: error.kind },
      `KEY STOP: the provider answered ${error.status ?? ""} (${error.kind}) to API key ${key.name}; that key takes no more creates, the others go on, no job was failed. Fix the key or its balance, then run \`veoq resume --key ${key.name}\`.`,
    );
  }
  const stopped = await context.keys.stopped();
  if (stopped.size === context.keys.list.length) await stopEveryKey(context, log, stopped);
  return new RateLimitError();
}

/** Every key of the pool is stopped: today's credentials stop, naming each key. */
async function stopEveryKey(
  context: PipelineContext,
  log: Logger,
  stopped: ReadonlyMap<string, string>,
): Promise<void> {
  const names = [...stopped.keys()].join(", ");
  await stopSubmissions(
    context.store,
    context.queues,
    `every API key is stopped: ${[...stopped].map(([name, reason]) => `${name} (${reason})`).join("; ")}`,
  );
  log.error(
    { keys: [...stopped.keys()] },
    `CREDENTIALS STOP: every API key (${names}) is stopped; the submit queue is paused and no job was failed. Fix the keys or their balance, then run \`veoq resume\` (or \`veoq resume --key NAME\` for one).`,
  );
}

/** No key took the create: the signal for the job (the queue already waits for a release). */
async function waitForKey(
  context: PipelineContext,
  job: Job,
  token: string | undefined,
  log: Logger,
  why: NoKeyFree,
): Promise<Error> {
  if (why.wait === "budget") {
    // Like VEOQ_DAILY_BUDGET: the item waits for the UTC day to end (nothing fails, no attempt).
    log.error(
      "KEY BUDGET STOP: every API key not stopped has spent its daily_budget for today; the item waits until the UTC day ends (nothing failed).",
    );
    await job.moveToDelayed(
      context.now() + toRealMs(context, PIPELINE_DEFAULTS.pausedRecheckSeconds),
      token,
    );
    return new DelayedError();
  }
  if (why.wait === "pace") {
    await context.queues.submit.rateLimit(why.ms);
  } else if (why.wait === "stopped") {
    await stopEveryKey(context, log, await context.keys.stopped());
  }
  // Every slot is taken: the whole submit queue waits (the take set the wait) until a release
  // frees one; no attempt is charged.
  return new RateLimitError();
}

/** Whether the worker's bucket refused its credentials (and not, say, a missing object). */
function bucketRefused(context: PipelineContext, error: unknown): boolean {
  return context.objectStore !== undefined && isObjectStoreCredentialsError(error);
}
