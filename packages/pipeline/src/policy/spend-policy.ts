import { isProviderError } from "@veoq/provider-client";

/** Answers that say the provider made no task (and billed nothing) for a create. */
const NOT_CREATED_STATUSES = new Set([400, 401, 402, 403, 404, 422, 429]);

/**
 * Whether a failed create certainly made no task: the provider refused it (400/401/402/403/422/
 * 429) or it failed before it was sent. Everything else (no answer, 5xx, an unreadable 2xx)
 * may have made one, and its reservation counts as spent.
 */
export function createCertainlyNotMade(error: unknown): boolean {
  if (!isProviderError(error)) return false;
  if (error.status !== undefined) return NOT_CREATED_STATUSES.has(error.status);
  return error.kind === "transient";
}
