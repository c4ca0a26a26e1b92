import type { ProviderErrorKind } from "@veoq/provider-client";
import { z } from "zod";
import type { QueueRole } from "./keys.ts";

/** One saved output file of an item: in its final record and in its download job's data. */
export const savedFileSchema = z.object({
  index: z.number().int().nonnegative(),
  /** Relative to the output dir (or to the bucket prefix). */
  path: z.string(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string(),
  /** What the file is, read from its container (absent when VEOQ_VERIFY_OUTPUTS=off). */
  durationSeconds: z.number().optional(),
  width: z.number().int().optional(),
  height: z.number().int().optional(),
  codecs: z.array(z.string()).optional(),
  audio: z.boolean().optional(),
  /** With VEOQ_VERIFY_OUTPUTS=warn: how the saved file differs from the request, or why it is broken. */
  flagged: z.array(z.string()).optional(),
  /** Where the file is: `s3://bucket/key` or `file:///abs/path`. Absent in files saved by older code. */
  uri: z.string().max(2048).optional(),
});
export type SavedFile = z.infer<typeof savedFileSchema>;

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
