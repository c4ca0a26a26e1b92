/**
 * How the submit queue waits for a provider slot (provider seconds; the worker converts with
 * the time scale). A freed slot wakes the queue at once (see provider-slots.ts), so these only
 * bound what a wake can miss.
 */
export const SLOT_WAIT = {
  /**
   * Longest wait for a slot without a release (a safety net: a release by a process that died
   * before it could wake the queue, or a slot freed by the leak reconciler).
   */
  maxWaitSeconds: 30,
  /**
   * How often a rate-limited submit worker looks whether the wait was lifted: BullMQ workers
   * sleep out a rate limit locally, so a deleted limiter key is seen at the next look. Half a
   * provider second keeps a freed slot's idle time well under a second.
   */
  wakeCheckSeconds: 0.5,
  /** Bounds of that look, real ms: not busier than 50 per second, not rarer than once a second. */
  wakeCheckMinMs: 20,
  wakeCheckMaxMs: 1_000,
} as const;

/** The submit worker's `maximumRateLimitDelay` (real ms) for a time scale. */
export function slotWakeCheckMs(timeScale: number): number {
  const ms = SLOT_WAIT.wakeCheckSeconds * 1000 * timeScale;
  return Math.round(Math.min(SLOT_WAIT.wakeCheckMaxMs, Math.max(SLOT_WAIT.wakeCheckMinMs, ms)));
}
