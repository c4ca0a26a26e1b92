import { submitJobId } from "../store/keys.ts";
import type { ResubmitReason } from "../store/spend-ledger.ts";
import { type ItemTrace, type SubmitJobData, submitJobDataSchema } from "./job-data.ts";
import type { VeoqQueues } from "./queues.ts";

/** A submit job's request as a new submission starts from it: without the old task. */
export type SubmissionRequest = Omit<SubmitJobData, "taskId" | "createdAt">;

/** The request of an item's original submit job, or undefined when that job is gone. */
export async function originalRequestOf(
  queues: VeoqQueues,
  originalSubmitJobId: string,
): Promise<SubmissionRequest | undefined> {
  const original = await queues.submit.getJob(originalSubmitJobId);
  const parsed = submitJobDataSchema.safeParse(original?.data);
  if (!parsed.success) return undefined;
  const { taskId: _taskId, createdAt: _createdAt, ...request } = parsed.data;
  return request;
}

/** Adds the n-th submission of an item (a new provider task), made for `reason`; returns its job id. */
export async function addSubmission(
  queues: VeoqQueues,
  request: SubmissionRequest,
  submission: number,
  trace: ItemTrace,
  attempts: number,
  reason: ResubmitReason,
): Promise<string> {
  const id = submitJobId(request.batchId, request.customId, submission);
  await queues.submit.add(
    "submit",
    { ...request, submission, trace, resubmitReason: reason },
    { jobId: id, attempts, backoff: { type: "veoq" } },
  );
  return id;
}
