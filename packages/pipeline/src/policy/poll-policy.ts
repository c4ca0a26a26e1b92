import type { EndpointSlug } from "@veoq/contract";

/**
 * When to look at a provider task next. Pure and in provider seconds; the worker converts to
 * real milliseconds with the time scale. Regimes:
 *
 * 1. First poll: with a duration profile (durations of past tasks of the same model and
 *    settings, see duration-history.ts), one lag target after the shortest typical duration;
 *    without one, after the shortest time such a task is expected to take (model, video length).
 * 2. Informed: when the provider gives `eta` (or progress, from which a remaining time follows),
 *    poll just after it should be done (up to `maxEtaIntervalSeconds` ahead).
 * 3. Blind with a profile: polls on a grid of `lagTargetSeconds` steps that starts at the first
 *    poll, up to the longest duration seen, so a task that ends within the known range is seen
 *    at most one step late. Past it, the blind rule below (never closer than the lag target).
 * 4. Blind without a profile: the gap grows with the time already waited (a fixed fraction of
 *    it), between the minimum and maximum interval, with jitter so that tasks created together
 *    spread out.
 *
 * While items wait for a provider slot, a task seen done a step sooner frees its slot a step
 * sooner, which is worth far more than a poll: the blind regimes then step by
 * `waitingLagTargetSeconds` instead (and never wait longer than it), and an eta is followed
 * within `waitingEtaMarginSeconds`.
 *
 * `fixedIntervalSeconds` replaces all of this with a plain fixed interval (a benchmark baseline).
 */
export interface PollPolicySettings {
  /** Shortest gap between two polls of one task (s). Default 2. */
  minIntervalSeconds: number;
  /** Longest gap (s); also bounds the detection lag when the provider says nothing. Default 30. */
  maxIntervalSeconds: number;
  /** Longest gap taken on the provider's word, i.e. from an eta or from progress (s). Default 300. */
  maxEtaIntervalSeconds: number;
  /** Blind regime: next gap = this fraction of the time waited so far. Default 0.1. */
  blindGrowth: number;
  /** Added to an eta so the poll lands just after the task is done (s). Default 1. */
  etaMarginSeconds: number;
  /** Fraction of the gap that is randomised (0 = none); not applied on the profile grid. Default 0.1. */
  jitter: number;
  /**
   * Blind regime with a duration profile: the step of the poll grid, i.e. the longest detection
   * lag of a task that ends within the known range of durations (s). Default 9.25: 3/4 of a
   * second under a 10 s lag bound leaves room for queue latency (a poll up to 0.5 s early still
   * counts as its grid point's, which can add up to that much more; in practice they run about a
   * millisecond early).
   */
  lagTargetSeconds: number;
  /** The blind step while items wait for a provider slot (s). Default 3. */
  waitingLagTargetSeconds: number;
  /**
   * The eta margin while items wait for a provider slot (s). Default -0.25: the provider's eta
   * is whole seconds rounded up, so the task ends in the last second before it; a poll a quarter
   * second before the eta sees it done three times in four (mean lag 0.375 s instead of 0.75 s
   * at +0.25), and otherwise gets an eta of 1 and polls again 0.75 s later (at most one extra
   * poll). Applies to an eta only; a remaining time from progress is not rounded and gets
   * max(0, margin).
   */
  waitingEtaMarginSeconds: number;
  /** The shortest gap taken on an eta while items wait for a provider slot (s). Default 0.5. */
  waitingMinEtaIntervalSeconds: number;
  /** Past durations a profile needs before the policy uses it. Default 20. */
  minProfileSamples: number;
  /** When > 0: poll every this many seconds from creation, ignoring eta, progress and profile. Default 0 (off). */
  fixedIntervalSeconds: number;
}

export const DEFAULT_POLL_POLICY: PollPolicySettings = {
  minIntervalSeconds: 2,
  maxIntervalSeconds: 30,
  maxEtaIntervalSeconds: 300,
  blindGrowth: 0.1,
  etaMarginSeconds: 1,
  jitter: 0.1,
  lagTargetSeconds: 9.25,
  waitingLagTargetSeconds: 3,
  waitingEtaMarginSeconds: -0.25,
  waitingMinEtaIntervalSeconds: 0.5,
  minProfileSamples: 20,
  fixedIntervalSeconds: 0,
};

/**
 * What past tasks of one model and settings took (provider seconds: by the provider's own
 * timestamps, else estimated from the polls, see `finishedTaskSeconds`). Built by
 * `durationProfileOf`.
 */
export interface DurationProfile {
  /** Past durations behind the profile. */
  samples: number;
  /** Shortest typical duration: a low quantile of the past durations (s). */
  lowSeconds: number;
  /** Longest duration seen (s). */
  highSeconds: number;
  /**
   * Whether the provider lately sent `eta` for tasks of this shape. Then the first poll can land
   * right at the shortest typical duration: the answer says when to come back.
   */
  etaReported?: boolean;
}

/**
 * Quantile of past durations used as the shortest typical duration. Tasks shorter than it
 * (3.5 %) are seen more than a step late: a p95 lag bound allows 5 %, and every task pays for
 * the polls before the first one it can end by, so the early polls are the dearest. Not 5 %:
 * the quantile of a 500-sample history is itself uncertain by about 1 %.
 */
export const PROFILE_LOW_QUANTILE = 0.035;

/** Summarises past durations; undefined when there are none. */
export function durationProfileOf(durations: readonly number[]): DurationProfile | undefined {
  const sorted = durations.filter((d) => Number.isFinite(d) && d >= 0).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const lowIndex = Math.floor(PROFILE_LOW_QUANTILE * (sorted.length - 1));
  return {
    samples: sorted.length,
    lowSeconds: sorted[lowIndex] ?? 0,
    highSeconds: sorted[sorted.length - 1] ?? 0,
  };
}

/** Typical shortest render time of an 8 s video per endpoint (s); scaled by video length. */
const EXPECTED_MIN_SECONDS: Readonly<Record<EndpointSlug, number>> = {
  "veo-3.1-generate-img2video": 45,
  "veo-3.1-lite-firstlastframe": 25,
};

/** Seconds from creation to the first poll. */
export function initialPollDelaySeconds(
  model: EndpointSlug,
  videoSeconds: number,
  settings: PollPolicySettings = DEFAULT_POLL_POLICY,
  profile?: DurationProfile,
): number {
  if (settings.fixedIntervalSeconds > 0) return settings.fixedIntervalSeconds;
  const gridStart = gridStartSeconds(settings, profile);
  if (gridStart !== undefined) return gridStart;
  const base = EXPECTED_MIN_SECONDS[model];
  return Math.max(1, Math.round(base * (0.5 + (0.5 * videoSeconds) / 8)));
}

/**
 * Where a task's poll grid starts (its first poll, s after creation) when the duration profile
 * decides it; undefined when there is no usable profile (or a fixed interval is set). Stored on
 * the poll job so the task keeps its grid while the history changes.
 */
export function gridStartSeconds(
  settings: PollPolicySettings,
  profile: DurationProfile | undefined,
): number | undefined {
  if (settings.fixedIntervalSeconds > 0) return undefined;
  if (profile === undefined || profile.samples < settings.minProfileSamples) return undefined;
  return Math.max(settings.minIntervalSeconds, firstGridPointOf(profile, settings));
}

/**
 * First poll of the profile grid: one step after the shortest typical duration, so a task that
 * ends there is seen one step late at most, like every later one.
 */
function firstGridPointOf(profile: DurationProfile, settings: PollPolicySettings): number {
  if (profile.etaReported) return profile.lowSeconds;
  return profile.lowSeconds + FIRST_POLL_STEPS * settings.lagTargetSeconds;
}

/** Steps between the shortest typical duration and the first poll. */
const FIRST_POLL_STEPS = 1;

export interface PollObservation {
  /** Seconds since the task was created. */
  elapsedSeconds: number;
  /** Provider's estimate of seconds left, if given. */
  etaSeconds: number | undefined;
  /** Provider's progress 0-100, if given. */
  progressPercent: number | undefined;
  /**
   * Where this task's poll grid starts (its first poll, s): fixed when the task was handed to
   * the poll queue, so the grid does not shift under the task as the history takes in new
   * durations. Without it, the grid starts where the profile puts it now.
   */
  gridStartSeconds?: number | undefined;
  /** Whether items wait for a provider slot now (then a freed slot is worth more than a poll). */
  itemsWaiting?: boolean;
}

/** Seconds until the next poll of a task that is not final yet. */
export function nextPollDelaySeconds(
  observation: PollObservation,
  settings: PollPolicySettings = DEFAULT_POLL_POLICY,
  random: () => number = Math.random,
  profile?: DurationProfile,
): number {
  const { elapsedSeconds, etaSeconds, progressPercent } = observation;
  if (settings.fixedIntervalSeconds > 0) return settings.fixedIntervalSeconds;
  if (observation.itemsWaiting === true) {
    if (etaSeconds !== undefined && etaSeconds > 0) {
      return clamp(
        etaSeconds + Math.min(settings.etaMarginSeconds, settings.waitingEtaMarginSeconds),
        Math.min(settings.minIntervalSeconds, settings.waitingMinEtaIntervalSeconds),
        Math.max(settings.maxIntervalSeconds, settings.maxEtaIntervalSeconds),
      );
    }
    return nextPollDelaySeconds(
      { ...observation, itemsWaiting: false },
      waitingSettingsOf(settings),
      random,
      profile,
    );
  }
  if (etaSeconds !== undefined && etaSeconds > 0) {
    return informedGapSeconds(etaSeconds, settings);
  }
  if (progressPercent !== undefined && progressPercent > 0 && progressPercent < 100) {
    return informedGapSeconds(
      (elapsedSeconds * (100 - progressPercent)) / progressPercent,
      settings,
    );
  }
  if (profile !== undefined && profile.samples >= settings.minProfileSamples) {
    return clamp(
      profileGapSeconds(
        elapsedSeconds,
        observation.gridStartSeconds ?? firstGridPointOf(profile, settings),
        profile,
        settings,
      ),
      settings.minIntervalSeconds,
      settings.maxIntervalSeconds,
    );
  }
  const gap = elapsedSeconds * settings.blindGrowth;
  const jittered = gap * (1 - settings.jitter / 2 + random() * settings.jitter);
  return clamp(jittered, settings.minIntervalSeconds, settings.maxIntervalSeconds);
}

/** The settings while items wait for a slot: the blind steps shrink to the waiting lag target. */
function waitingSettingsOf(settings: PollPolicySettings): PollPolicySettings {
  const step = Math.min(settings.lagTargetSeconds, settings.waitingLagTargetSeconds);
  return {
    ...settings,
    lagTargetSeconds: step,
    etaMarginSeconds: Math.max(
      0,
      Math.min(settings.etaMarginSeconds, settings.waitingEtaMarginSeconds),
    ),
    maxIntervalSeconds: Math.max(
      settings.minIntervalSeconds,
      Math.min(settings.maxIntervalSeconds, step),
    ),
  };
}

/** Just after the time the provider says is left; no jitter, the provider already spreads tasks. */
function informedGapSeconds(remainingSeconds: number, settings: PollPolicySettings): number {
  return clamp(
    remainingSeconds + settings.etaMarginSeconds,
    settings.minIntervalSeconds,
    Math.max(settings.maxIntervalSeconds, settings.maxEtaIntervalSeconds),
  );
}

/**
 * Blind with a profile: the time to the next point of the grid (`first`, then every
 * `lagTargetSeconds`) while within the durations seen; past the longest one, the growth rule but
 * never closer than a grid step. Aligning to the grid (rather than adding a step to `elapsed`)
 * keeps queue latency from adding up over the polls of one task.
 */
function profileGapSeconds(
  elapsedSeconds: number,
  first: number,
  profile: DurationProfile,
  settings: PollPolicySettings,
): number {
  const step = settings.lagTargetSeconds;
  // A poll that lands a moment before its grid point (a delayed job may run a millisecond
  // early) is that point's poll: aiming at the same point again would cost a poll for nothing.
  const at = elapsedSeconds + GRID_TOLERANCE_SECONDS;
  if (at < first) return first - elapsedSeconds;
  if (elapsedSeconds < profile.highSeconds) {
    const next = first + (Math.floor((at - first) / step) + 1) * step;
    return next - elapsedSeconds;
  }
  return Math.max(step, elapsedSeconds * settings.blindGrowth);
}

/** How early a poll may land and still count as the poll of its grid point (s). */
const GRID_TOLERANCE_SECONDS = 0.5;

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
