import { randomBytes } from "node:crypto";
import { removeKeysUnder } from "@veoq/local-redis";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import {
  DEFAULT_POLL_POLICY,
  DurationHistory,
  type DurationProfile,
  durationHistoryKey,
  durationProfileOf,
  finishedTaskSeconds,
  gridStartSeconds,
  initialPollDelaySeconds,
  nextPollDelaySeconds,
  type PollPolicySettings,
} from "../src/index.ts";

const middle = () => 0.5;
// A 10 s grid step keeps the expected numbers below readable.
const policy: PollPolicySettings = {
  ...DEFAULT_POLL_POLICY,
  minProfileSamples: 3,
  lagTargetSeconds: 10,
};
/** Past tasks took 30 to 180 s. */
const profile = durationProfileOf([30, 60, 90, 120, 150, 180]);

const blind = (
  elapsedSeconds: number,
  settings = policy,
  p: DurationProfile | undefined = profile,
) =>
  nextPollDelaySeconds(
    { elapsedSeconds, etaSeconds: undefined, progressPercent: undefined },
    settings,
    middle,
    p,
  );

describe("durationProfileOf", () => {
  it("takes a low quantile and the longest duration, ignoring junk", () => {
    const p = durationProfileOf([90, Number.NaN, 30, -1, 180, 60]);
    expect(p).toEqual({ samples: 4, lowSeconds: 30, highSeconds: 180 });
  });

  it("has no profile without durations", () => {
    expect(durationProfileOf([])).toBeUndefined();
  });
});

describe("poll policy with a duration profile", () => {
  it("polls first one lag target after the shortest typical duration", () => {
    expect(initialPollDelaySeconds("veo-3.1-generate-img2video", 8, policy, profile)).toBe(
      30 + policy.lagTargetSeconds,
    );
  });

  it("fixes a grid start only when the profile decides the first poll", () => {
    expect(gridStartSeconds(policy, profile)).toBe(30 + policy.lagTargetSeconds);
    expect(gridStartSeconds(policy, durationProfileOf([30, 40]))).toBeUndefined();
    expect(gridStartSeconds(policy, undefined)).toBeUndefined();
    expect(gridStartSeconds({ ...policy, fixedIntervalSeconds: 5 }, profile)).toBeUndefined();
  });

  it("ignores a profile with too few samples", () => {
    const few = durationProfileOf([30, 40]);
    expect(initialPollDelaySeconds("veo-3.1-generate-img2video", 8, policy, few)).toBe(
      initialPollDelaySeconds("veo-3.1-generate-img2video", 8),
    );
    const withoutProfile = nextPollDelaySeconds(
      { elapsedSeconds: 100, etaSeconds: undefined, progressPercent: undefined },
      policy,
      middle,
    );
    expect(blind(100, policy, few)).toBe(withoutProfile);
  });

  it("polls on a grid of lag-target steps within the known range, without drift", () => {
    // Grid: 40, 50, 60, ... A poll that ran 0.3 s late still aims at the next grid point.
    expect(blind(40)).toBeCloseTo(10);
    expect(blind(50.3)).toBeCloseTo(9.7);
    expect(blind(20)).toBeCloseTo(20);
    // A poll that ran a moment early counts as its grid point's poll: no extra poll 2 s later.
    expect(blind(39.998)).toBeCloseTo(10.002);
    expect(blind(59.99)).toBeCloseTo(10.01);
  });

  it("keeps a task's grid where it started when the profile moves", () => {
    const gap = (elapsedSeconds: number, gridStartSeconds: number | undefined) =>
      nextPollDelaySeconds(
        { elapsedSeconds, etaSeconds: undefined, progressPercent: undefined, gridStartSeconds },
        policy,
        middle,
        profile,
      );
    // The profile now puts the grid at 40, 50, ...; this task's grid started at 41.5.
    expect(gap(51.5, 41.5)).toBeCloseTo(10);
    expect(gap(51.5, undefined)).toBeCloseTo(8.5);
  });

  it("falls back to growing gaps (at least one step) past the longest duration seen", () => {
    expect(blind(185)).toBeCloseTo(18.5);
    expect(blind(400)).toBe(policy.maxIntervalSeconds);
  });

  it("takes the provider's eta beyond the blind maximum, up to its own cap", () => {
    const eta = (etaSeconds: number) =>
      nextPollDelaySeconds(
        { elapsedSeconds: 40, etaSeconds, progressPercent: undefined },
        policy,
        middle,
      );
    expect(eta(130)).toBe(130 + policy.etaMarginSeconds);
    expect(eta(5000)).toBe(policy.maxEtaIntervalSeconds);
  });

  it("still follows the provider's eta when it has one", () => {
    const delay = nextPollDelaySeconds(
      { elapsedSeconds: 40, etaSeconds: 12, progressPercent: undefined },
      policy,
      middle,
      profile,
    );
    expect(delay).toBe(12 + policy.etaMarginSeconds);
  });

  it("polls at a plain fixed interval when one is set", () => {
    const fixed = { ...policy, fixedIntervalSeconds: 5 };
    expect(initialPollDelaySeconds("veo-3.1-generate-img2video", 8, fixed, profile)).toBe(5);
    expect(blind(100, fixed)).toBe(5);
    expect(
      nextPollDelaySeconds(
        { elapsedSeconds: 40, etaSeconds: 60, progressPercent: 10 },
        fixed,
        middle,
        profile,
      ),
    ).toBe(5);
  });
});

describe("finishedTaskSeconds", () => {
  it("takes the provider's own render time when the answer carries it", () => {
    expect(
      finishedTaskSeconds({ providerSeconds: 61.5, elapsedSeconds: 70, lastPollSeconds: 60 }),
    ).toBe(61.5);
  });

  it("ignores a provider time that does not fit what the polls saw", () => {
    // 61.5 ms read as seconds, or a clock far off: the middle of the last gap instead.
    expect(
      finishedTaskSeconds({ providerSeconds: 0.0615, elapsedSeconds: 70, lastPollSeconds: 60 }),
    ).toBe(65);
    expect(
      finishedTaskSeconds({ providerSeconds: 4000, elapsedSeconds: 70, lastPollSeconds: 60 }),
    ).toBe(65);
    // A little past this poll is the create's own latency: kept.
    expect(
      finishedTaskSeconds({ providerSeconds: 71, elapsedSeconds: 70, lastPollSeconds: 60 }),
    ).toBe(71);
    // Done at the first poll: a sub-second "render" is a unit slip; a short one after a long
    // wait (workers were down) is believed.
    expect(
      finishedTaskSeconds({
        providerSeconds: 0.06,
        elapsedSeconds: 45,
        lastPollSeconds: undefined,
      }),
    ).toBe(45);
    expect(
      finishedTaskSeconds({ providerSeconds: 50, elapsedSeconds: 600, lastPollSeconds: undefined }),
    ).toBe(50);
  });

  it("after a retry restarted the task's clock, records only the provider's own time", () => {
    const retried = { elapsedSeconds: 0.05, lastPollSeconds: undefined, clockReset: true };
    expect(finishedTaskSeconds({ ...retried, providerSeconds: 1900 })).toBe(1900);
    expect(finishedTaskSeconds({ ...retried, providerSeconds: undefined })).toBeUndefined();
    expect(finishedTaskSeconds({ ...retried, providerSeconds: 0.2 })).toBeUndefined();
  });

  it("otherwise takes the middle of the last gap between polls, or the first poll's time", () => {
    expect(
      finishedTaskSeconds({ providerSeconds: undefined, elapsedSeconds: 70, lastPollSeconds: 60 }),
    ).toBe(65);
    expect(
      finishedTaskSeconds({
        providerSeconds: undefined,
        elapsedSeconds: 70,
        lastPollSeconds: undefined,
      }),
    ).toBe(70);
  });
});

describe("DurationHistory", () => {
  const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", {
    maxRetriesPerRequest: 1,
  });
  const prefix = `{veoq-test-history-${randomBytes(4).toString("hex")}}`;
  const shape = { model: "veo-3.1-generate-img2video", durationSeconds: 8, sampleCount: 1 };

  afterAll(async () => {
    await removeKeysUnder(redis, prefix);
    redis.disconnect();
  });

  it("keeps a bounded sample per task shape and summarises it", async () => {
    // random 0.99: once full, a new duration lands past the sample and is dropped.
    const history = new DurationHistory(redis, prefix, {
      maxSamples: 3,
      cacheMs: 0,
      random: () => 0.99,
    });
    for (const seconds of [10, 50, 40, 30]) await history.record(shape, seconds);
    await history.record(shape, -5);
    expect(await redis.llen(durationHistoryKey(prefix, shape))).toBe(3);
    expect(await history.profile(shape)).toEqual({
      samples: 3,
      lowSeconds: 10,
      highSeconds: 50,
      etaReported: false,
    });
    expect(await history.profile({ ...shape, durationSeconds: 4 })).toBeUndefined();
  });

  it("remembers whether the provider sends eta for a shape, and drops its cached profile", async () => {
    const history = new DurationHistory(redis, prefix, { cacheMs: 60_000 });
    const eta = { ...shape, durationSeconds: 6 };
    await history.record(eta, 40);
    expect((await history.profile(eta))?.etaReported).toBe(false);
    await history.recordEtaReported(eta, true);
    expect((await history.profile(eta))?.etaReported).toBe(true);
    await history.recordEtaReported(eta, false);
    expect((await history.profile(eta))?.etaReported).toBe(false);
  });

  it("does not let the last (longest) tasks of a batch push out the earlier ones", async () => {
    const lite = { ...shape, model: "veo-3.1-lite-firstlastframe" };
    let draw = 0;
    const history = new DurationHistory(redis, prefix, {
      maxSamples: 10,
      cacheMs: 0,
      random: () => (draw++ * 0.618_034) % 1,
    });
    // A batch finishes shortest first: 30 s ... 129 s.
    for (let i = 0; i < 100; i++) await history.record(lite, 30 + i);
    const profile = await history.profile(lite);
    expect(profile?.samples).toBe(10);
    expect(profile?.lowSeconds).toBeLessThan(60);
  });

  it("reuses a profile for cacheMs before reading Redis again", async () => {
    let now = 0;
    const other = { ...shape, sampleCount: 2 };
    const history = new DurationHistory(redis, prefix, { cacheMs: 1000, now: () => now });
    await history.record(other, 60);
    expect((await history.profile(other))?.samples).toBe(1);
    await history.record(other, 70);
    expect((await history.profile(other))?.samples).toBe(1);
    now = 1000;
    expect((await history.profile(other))?.samples).toBe(2);
  });
});
