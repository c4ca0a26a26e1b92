/** Reasons a failed task reports, worded like the provider's. */

/** Reasons that look worth retrying. */
export const TRANSIENT_FAILURE_REASONS: readonly string[] = [
  "internal error, please retry",
  "service busy, please try again later",
  "upstream timeout",
];

/** Reasons that will not change on retry. */
export const PERMANENT_FAILURE_REASONS: readonly string[] = [
  "content policy violation: prompt rejected",
  "content policy violation: input image rejected",
  "invalid input image",
];

export const FAILURE_REASONS: readonly string[] = [
  ...TRANSIENT_FAILURE_REASONS,
  ...PERMANENT_FAILURE_REASONS,
];
