import type { ProviderErrorKind } from "@veoq/provider-client";

/** What a failed create's error says, when it is a provider error (classified once, upstream). */
export interface CreateFailure {
  kind: ProviderErrorKind;
  /** The answer's HTTP status; undefined when no answer came. */
  status?: number | undefined;
}

/**
 * Whether a failed create certainly made no task (and its reservation goes back): the provider
 * answered with an error status (4xx, and 5xx too: an error answer carries no task id, so no task
 * of ours can be followed or billed to this item, and counting it as spent paused batches short
 * of their budget), or it failed before it was sent. What remains may have made a task and counts
 * as spent: no answer at all (a dropped connection after the body was sent) and a 2xx answer we
 * could not read (no task id, broken JSON), and any error that is not a provider error
 * (`undefined` here).
 */
export function createCertainlyNotMade(failure: CreateFailure | undefined): boolean {
  if (failure === undefined) return false;
  if (failure.status !== undefined) return failure.status >= 400;
  return failure.kind === "transient";
}
