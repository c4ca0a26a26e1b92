import type { EndpointSlug } from "@veoq/contract";

/**
 * When to look at a provider task next. Pure and in provider seconds; the worker converts to
 * real milliseconds with the time scale. Three regimes:
 *
 * 1. First poll: after the shortest time such a task is expected to take (model and video
 *    length), so a typical task is not polled while it cannot be done yet.
 * 2. Informed: when the provider gives `eta` (or progress, from which a remaining time follows),
 *    poll just after it should be done.
 * 3. Blind: the gap grows with the time already waited (a fixed fraction of it), between the
 *    minimum and maximum interval, with jitter so that tasks created together spread out.
 */
export interface PollPolicySettings {
  /** Shortest gap between two polls of one task (s). */
  minIntervalSeconds: number;
  /** Longest gap (s); also bounds the detection lag when the provider says nothing. */
  maxIntervalSeconds: number;
  /** Blind regime: next gap = this fraction of the time waited so far. */
  blindGrowth: number;
  /** Added to an eta so the poll lands just after the task is done (s). */
  etaMarginSeconds: number;
  /** Fraction of the gap that is randomised (0 = none). */
  jitter: number;
}

export const DEFAULT_POLL_POLICY: PollPolicySettings = {
  minIntervalSeconds: 2,
  maxIntervalSeconds: 30,
  blindGrowth: 0.1,
  etaMarginSeconds: 1,
  jitter: 0.1,
};

/** Typical shortest render time of an 8 s video per endpoint (s); scaled by video length. */
const EXPECTED_MIN_SECONDS: Readonly<Record<EndpointSlug, number>> = {
  "veo-3.1-generate-img2video": 45,
  "veo-3.1-lite-firstlastframe": 25,
};

/** Seconds from creation to the first poll. */
export function initialPollDelaySeconds(model: EndpointSlug, videoSeconds: number): number {
  const base = EXPECTED_MIN_SECONDS[model];
  return Math.max(1, Math.round(base * (0.5 + (0.5 * videoSeconds) / 8)));
}

export interface PollObservation {
  /** Seconds since the task was created. */
  elapsedSeconds: number;
  /** Provider's estimate of seconds left, if given. */
  etaSeconds: number | undefined;
  /** Provider's progress 0-100, if given. */
  progressPercent: number | undefined;
}

/** Seconds until the next poll of a task that is not final yet. */
export function nextPollDelaySeconds(
  observation: PollObservation,
  settings: PollPolicySettings = DEFAULT_POLL_POLICY,
  random: () => number = Math.random,
): number {
  const { elapsedSeconds, etaSeconds, progressPercent } = observation;
  let gap: number;
  let jitter = settings.jitter;
  if (etaSeconds !== undefined && etaSeconds > 0) {
    gap = etaSeconds + settings.etaMarginSeconds;
    jitter = 0;
  } else if (progressPercent !== undefined && progressPercent > 0 && progressPercent < 100) {
    gap = (elapsedSeconds * (100 - progressPercent)) / progressPercent + settings.etaMarginSeconds;
    jitter = 0;
  } else {
    gap = elapsedSeconds * settings.blindGrowth;
  }
  const jittered = gap * (1 - jitter / 2 + random() * jitter);
  return clamp(jittered, settings.minIntervalSeconds, settings.maxIntervalSeconds);
}

/** Delay before the next try after a failed poll (429, 5xx, network): never sooner than Retry-After. */
export function pollErrorDelaySeconds(
  pollErrors: number,
  retryAfterSeconds: number | undefined,
  settings: PollPolicySettings = DEFAULT_POLL_POLICY,
): number {
  const backoff = clamp(
    settings.minIntervalSeconds * 2 ** Math.min(pollErrors, 10),
    settings.minIntervalSeconds,
    settings.maxIntervalSeconds,
  );
  return Math.max(backoff, retryAfterSeconds ?? 0);
}

/** True once a task has run past the deadline counted from its creation. */
export function isPastDeadline(elapsedSeconds: number, deadlineSeconds: number): boolean {
  return elapsedSeconds >= deadlineSeconds;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
