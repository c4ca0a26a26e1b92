import { ENDPOINT_SLUGS, type TaskResultOutput } from "@veoq/contract";
import { z } from "zod";
import { type SavedFile, savedFileSchema } from "../store/item-states.ts";

/** A saved output file: defined with the item's final record, which lists them. */
export type { SavedFile };

/**
 * Job payloads, shared by producers and workers. Workers parse what they read from Redis instead
 * of trusting its type (a job that does not parse fails for good). Payloads stay small: local
 * images are absolute paths, read only at submit time.
 */

const id = z.string().min(1).max(200);

/** What the item has been through so far; carried from job to job and ends up in the results. */
export const itemTraceSchema = z.object({
  enqueuedAt: z.number(),
  /** Every provider task created for the item, oldest first. */
  taskIds: z.array(z.string()),
  /** Create requests sent (all submissions, all tries). */
  submitAttempts: z.number().int().nonnegative(),
  /** Task-result reads that got an answer. */
  polls: z.number().int().nonnegative(),
  submittedAt: z.number().optional(),
  finishedAt: z.number().optional(),
  /**
   * W3C traceparent of the item's trace (stages/pipeline-observer.ts), when enqueued with tracing on:
   * every stage's span, in any process, is its child.
   */
  traceparent: z.string().max(128).optional(),
});
export type ItemTrace = z.infer<typeof itemTraceSchema>;

/**
 * Fields every job of an item carries: which item (batch, custom id, model), which submission
 * of it, and its trace. `v` versions the payload shape.
 */
const itemJobFields = {
  v: z.literal(1),
  batchId: id,
  customId: id,
  model: z.enum(ENDPOINT_SLUGS),
  /** 0 for the manifest's request, n for the n-th re-submission after a failed task. */
  submission: z.number().int().nonnegative(),
  trace: itemTraceSchema,
};

export const submitJobDataSchema = z.object({
  ...itemJobFields,
  input: z.record(z.string(), z.unknown()),
  /** Paths in `input` (e.g. "reference_images[0].image") whose value is a local file to inline. */
  localImages: z.array(z.string()),
  metadata: z.record(z.string(), z.unknown()).optional(),
  /** Set right after the provider answered, before anything else: a retry never re-creates it. */
  taskId: z.string().optional(),
  createdAt: z.number().optional(),
  /**
   * Set right before a create is sent and removed once its outcome is recorded: a try that finds
   * it without a task id knows an earlier try may have created a task whose id was lost (a crash
   * between the answer and `taskId`), so that possible duplicate is counted and booked as spent.
   */
  createSentAt: z.number().optional(),
  /**
   * The name of the API key that created (or is creating) the task (keys/provider-keys.ts; never the key): its
   * polls and downloads use that key. Absent: the process's first key created it.
   */
  keyName: z.string().min(1).max(64).optional(),
  /**
   * The account id of that key's records (keys/provider-keys.ts accountOfKey: its name, or the
   * key's short hash; never the key), set with `keyName` when the create is sent: a worker
   * without the key settles its daily-budget reservation and frees its slot by it.
   */
  keyAccount: z.string().min(1).max(64).optional(),
  /**
   * The request's fingerprint (operations/request-fingerprint.ts): an item whose request another
   * item renders reuses that render (stages/request-reuse.ts). Absent on older jobs: they render.
   */
  request: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16}$/)
    .optional(),
  /**
   * Why this submission (> 0) was made: its previous task failed with a transient-looking
   * reason (`task_failed`), or `veoq retry` asked for it (`retry`). Spent money is split by it.
   */
  resubmitReason: z.enum(["task_failed", "retry"]).optional(),
  /** `enqueue --rerender`: pay for a new render even when the request was rendered before. */
  rerender: z.boolean().optional(),
  /** The item's turn in the fair share of slots (see fair-share.ts); absent on older jobs. */
  turn: z.number().int().nonnegative().optional(),
});
export type SubmitJobData = z.infer<typeof submitJobDataSchema>;

/** The video the request asks for (`requestedVideoOf`): what each saved file is checked against. */
const requestedVideoSchema = z.object({
  durationSeconds: z.number(),
  width: z.number().int(),
  height: z.number().int(),
  audio: z.boolean(),
});

export const pollJobDataSchema = z.object({
  ...itemJobFields,
  submitJobId: id,
  taskId: z.string().min(1),
  /**
   * The name of the API key that created the task (keys/provider-keys.ts; never the key): its
   * polls and downloads use that key. Absent: the process's first key created it.
   */
  keyName: z.string().min(1).max(64).optional(),
  /** The account id of that key's records (as on the submit job): its slot is freed by it. */
  keyAccount: z.string().min(1).max(64).optional(),
  /** Times a worker without that key left this job (stages/pipeline-context.ts backoff); absent: 0. */
  keyWaits: z.number().int().nonnegative().optional(),
  /** When the task was created (ms since epoch). */
  createdAt: z.number(),
  /** Requested video length: the policy's first guess of how long the task takes. */
  durationSeconds: z.number(),
  sampleCount: z.number().int().min(1).max(4),
  /** The video the request asks for: what each saved file is checked against. */
  video: requestedVideoSchema,
  /** Answered polls of this task (the trace counts those of every task of the item). */
  taskPolls: z.number().int().nonnegative(),
  /** Poll errors (429, 5xx, network) so far; they delay the next poll, never fail the task. */
  pollErrors: z.number().int().nonnegative(),
  lastStatus: z.string().optional(),
  /**
   * The progress (0-100) the provider reported at the last poll, if any: kept in the data the
   * poll writes anyway, not as BullMQ's job progress (one script less per poll).
   */
  lastProgress: z.number().min(0).max(100).optional(),
  /** Seconds from creation to the last answered poll that found the task not final yet. */
  lastPollSeconds: z.number().optional(),
  /** The task's first poll (s from creation): where its blind poll grid starts. */
  gridStartSeconds: z.number().optional(),
  /**
   * `veoq retry` restarted this task's clock (`createdAt`) after a timeout: only the provider's
   * own timestamps can say how long the task took (see `finishedTaskSeconds`).
   */
  clockReset: z.boolean().optional(),
  /** False when the manifest line had no metadata: the item's final record need not read it. */
  hasMetadata: z.boolean().optional(),
});
export type PollJobData = z.infer<typeof pollJobDataSchema>;

export const downloadOutputSchema = z.object({
  index: z.number().int().nonnegative(),
  url: z.string(),
  type: z.string().optional(),
  /** When the URL stops working (ms since epoch), if the provider said. */
  expiresAt: z.number().optional(),
});
export type DownloadOutput = z.infer<typeof downloadOutputSchema>;

/**
 * The outputs of a finished task as the download job keeps them: URL, type, and when the URL
 * expires (real ms; `realMsOf` turns the provider's TTL in provider seconds into real ms).
 */
export function downloadOutputsOf(
  videos: readonly TaskResultOutput[],
  now: number,
  realMsOf: (providerSeconds: number) => number,
): DownloadOutput[] {
  return videos.map((video, index) => ({
    index,
    url: video.url,
    type: video.type,
    expiresAt: video.ttlSeconds === undefined ? undefined : now + realMsOf(video.ttlSeconds),
  }));
}

/**
 * BullMQ priority (1 = first) from the time left before the soonest URL expires, in seconds:
 * downloads whose URLs expire soonest go first. Unknown expiry goes last.
 */
export function expiryPriority(expiresAt: number, now: number): number {
  if (!Number.isFinite(expiresAt)) return 2_000_000;
  return Math.max(1, Math.min(2_000_000, Math.round((expiresAt - now) / 1000)));
}

export const downloadJobDataSchema = z.object({
  ...itemJobFields,
  submitJobId: id,
  taskId: z.string().min(1),
  /**
   * The name of the API key that created the task (keys/provider-keys.ts; never the key): its
   * polls and downloads use that key. Absent: the process's first key created it.
   */
  keyName: z.string().min(1).max(64).optional(),
  /** The account id of that key's records (as on the poll job); recorded on the item's result. */
  keyAccount: z.string().min(1).max(64).optional(),
  /** Times a worker without that key left this job (stages/pipeline-context.ts backoff); absent: 0. */
  keyWaits: z.number().int().nonnegative().optional(),
  outputs: z.array(downloadOutputSchema).min(1),
  /** The video the request asks for: what each saved file is checked against. */
  video: requestedVideoSchema,
  /** Files already saved by an earlier try: a retry does not fetch them again. */
  saved: z.array(savedFileSchema),
  /** Times the URLs were refreshed by a new task-result read after they expired. */
  refreshes: z.number().int().nonnegative(),
  /** False when the manifest line had no metadata: the item's final record need not read it. */
  hasMetadata: z.boolean().optional(),
});
export type DownloadJobData = z.infer<typeof downloadJobDataSchema>;
