import { isProviderError } from "@veoq/provider-client";

/**
 * Whether a failed create certainly made no task (and its reservation goes back): the provider
 * answered with an error status (4xx, and 5xx too: an error answer carries no task id, so no task
 * of ours can be followed or billed to this item, and counting it as spent paused batches short
 * of their budget), or it failed before it was sent. What remains may have made a task and counts
 * as spent: no answer at all (a dropped connection after the body was sent) and a 2xx answer we
 * could not read (no task id, broken JSON).
 */
export function createCertainlyNotMade(error: unknown): boolean {
  if (!isProviderError(error)) return false;
  if (error.status !== undefined) return error.status >= 400;
  return error.kind === "transient";
}
