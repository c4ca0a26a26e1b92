import type { ProviderErrorKind } from "@veoq/provider-client";
import type { SavedFile } from "../jobs/job-data.ts";
import type { QueueRole } from "../jobs/queue-names.ts";

/**
 * What went wrong with an item, in words a worker switches on and a person can act on: a provider
 * failure's kind, or one of the pipeline's own kinds.
 */
export type ItemErrorKind =
  | ProviderErrorKind
  /** A local image of the manifest line could not be read. */
  | "invalid_input"
  /** The provider reported the task as failed. */
  | "task_failed"
  /** The task was not final by the poll deadline. */
  | "timeout"
  /** A saved file is not a complete video (cut off, or not an MP4): VEOQ_VERIFY_OUTPUTS. */
  | "output_invalid"
  /** A saved video's duration, size or audio is not what the request asked. */
  | "output_mismatch"
  /** An error no processor foresaw (a bug, a full disk, an unusable output dir). */
  | "internal"
  /** `veoq cancel` ended the item before its task was created (or stopped following it). */
  | "cancelled";

/** The stage (queue) an item failed at. */
export type ItemStage = QueueRole;

/** One line of `veoq results`: the final record of an item. */
export interface ItemResult {
  batchId: string;
  customId: string;
  model: string;
  status: "completed" | "failed" | "cancelled";
  taskIds: string[];
  /**
   * The name of the API key that created its last task (keys/provider-keys.ts; never the key):
   * an item that adopts the task (stages/request-reuse.ts) polls and downloads it with that key.
   * Absent: the first key of the process that created it (or no task).
   */
  keyName?: string | undefined;
  files: SavedFile[];
  errorKind: ItemErrorKind | undefined;
  errorMessage: string | undefined;
  /** Where the item failed, so `veoq retry` knows what to re-run. */
  failedStage: ItemStage | undefined;
  failedJobId: string | undefined;
  submission: number;
  submitAttempts: number;
  polls: number;
  enqueuedAt: number;
  submittedAt: number | undefined;
  finishedAt: number | undefined;
  metadata: Record<string, unknown> | undefined;
  /** The item whose render this one reused (same request, no task of its own); absent otherwise. */
  reusedFrom?: { batchId: string; customId: string } | undefined;
}
