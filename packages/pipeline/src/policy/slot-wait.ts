import { PIPELINE_DEFAULTS } from "./pipeline-defaults.ts";

/**
 * The submit worker's `maximumRateLimitDelay` and `drainDelay` (real ms) for a time scale (see
 * PIPELINE_DEFAULTS).
 */
export function slotWakeCheckMs(timeScale: number): number {
  const ms = PIPELINE_DEFAULTS.slotWakeCheckSeconds * 1000 * timeScale;
  return Math.round(
    Math.min(
      PIPELINE_DEFAULTS.slotWakeCheckMaxMs,
      Math.max(PIPELINE_DEFAULTS.slotWakeCheckMinMs, ms),
    ),
  );
}
