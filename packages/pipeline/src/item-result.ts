import type { SavedFile } from "./job-data.ts";

/** What went wrong with an item, in words a worker switches on and a person can act on. */
export type ItemErrorKind =
  | "invalid_request"
  | "invalid_input"
  | "task_failed"
  | "timeout"
  | "url_expired"
  | "transient"
  | "ambiguous"
  | "malformed_response"
  | "not_found"
  | "unauthorized"
  | "payment_required"
  | "rate_limited"
  | "internal"
  /** `veoq cancel` ended the item before its task was created (or stopped following it). */
  | "cancelled";

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
  failedStage: "submit" | "poll" | "download" | undefined;
  failedJobId: string | undefined;
  submission: number;
  submitAttempts: number;
  polls: number;
  enqueuedAt: number;
  submittedAt: number | undefined;
  finishedAt: number | undefined;
  metadata: Record<string, unknown> | undefined;
}
