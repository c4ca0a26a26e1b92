import { type BatchStore, credentialsStopReason, downloadsStopReason } from "@veoq/pipeline";
import { withTimeout } from "./with-timeout.ts";

export type Readiness = { ready: true } | { ready: false; reason: string };

export interface CheckReadinessOptions {
  /** How long Redis may take to answer PING (ms). Default 2000. */
  timeoutMs?: number;
}

/**
 * Ready when Redis answers PING in time and neither submissions (401/402 from the provider) nor
 * downloads (the object store refusing the credentials) are stopped by a credentials stop:
 * nothing this process does can make progress until someone acts.
 */
export async function checkReadiness(
  store: BatchStore,
  options: CheckReadinessOptions = {},
): Promise<Readiness> {
  const timeoutMs = options.timeoutMs ?? 2000;
  try {
    const stop = await withTimeout(
      (async () => {
        await store.redis.ping();
        const [submissions, downloads] = await Promise.all([
          credentialsStopReason(store),
          downloadsStopReason(store),
        ]);
        if (submissions !== undefined) return `submissions stopped: ${submissions}`;
        return downloads === undefined ? undefined : `downloads stopped: ${downloads}`;
      })(),
      timeoutMs,
    );
    if (stop !== undefined) return { ready: false, reason: stop };
    return { ready: true };
  } catch (error) {
    return {
      ready: false,
      reason: `redis unreachable: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

/**
 * The body of `/readyz`: "ready", or "not ready: " and the reason's summary (the part before
 * its first colon: "redis unreachable", "submissions stopped"). Probes need no credentials, so
 * the details (Redis address, the provider's message) stay out; the dashboard shows them.
 */
export function readinessText(state: Readiness): string {
  if (state.ready) return "ready\n";
  const summary = state.reason.split(":")[0]?.trim() || "unknown";
  return `not ready: ${summary}\n`;
}
