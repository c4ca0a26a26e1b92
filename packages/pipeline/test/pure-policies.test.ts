import { ProviderError } from "@veoq/provider-client";
import { describe, expect, it } from "vitest";
import {
  decideSubmitFailure,
  expiryPriority,
  initialPollDelaySeconds,
  isValidBatchId,
  nextPollDelaySeconds,
  OutputPathError,
  outputFilePath,
  pollErrorDelaySeconds,
  pollJobId,
  reasonLooksTransient,
  retryDelayMs,
  submitJobId,
} from "../src/index.ts";
import { DEFAULT_POLL_POLICY } from "../src/policy/poll-policy.ts";
import { createCertainlyNotMade } from "../src/policy/spend-policy.ts";

const middle = () => 0.5;

describe("retryDelayMs", () => {
  it("doubles per try between half and all of the ceiling, capped", () => {
    expect(retryDelayMs(1, 1000, 60_000, () => 0)).toBe(500);
    expect(retryDelayMs(1, 1000, 60_000, () => 1)).toBe(1000);
    expect(retryDelayMs(3, 1000, 60_000, () => 1)).toBe(4000);
    expect(retryDelayMs(20, 1000, 60_000, () => 1)).toBe(60_000);
    expect(retryDelayMs(20, 1000, 60_000, () => 0)).toBe(30_000);
  });
});

describe("poll policy", () => {
  it("waits longer before the first poll for longer videos and the slower model", () => {
    const i2v8 = initialPollDelaySeconds("veo-3.1-generate-img2video", 8);
    const i2v4 = initialPollDelaySeconds("veo-3.1-generate-img2video", 4);
    const lite8 = initialPollDelaySeconds("veo-3.1-lite-firstlastframe", 8);
    expect(i2v8).toBeGreaterThan(i2v4);
    expect(i2v8).toBeGreaterThan(lite8);
  });

  it("polls first at the shortest typical duration when the provider is known to send eta", () => {
    const profile = { samples: 100, lowSeconds: 40, highSeconds: 180 };
    const blind = initialPollDelaySeconds(
      "veo-3.1-generate-img2video",
      8,
      DEFAULT_POLL_POLICY,
      profile,
    );
    const informed = initialPollDelaySeconds("veo-3.1-generate-img2video", 8, DEFAULT_POLL_POLICY, {
      ...profile,
      etaReported: true,
    });
    expect(informed).toBe(40);
    expect(blind).toBeGreaterThan(informed);
  });

  it("polls just after the provider's eta", () => {
    const delay = nextPollDelaySeconds(
      { elapsedSeconds: 40, etaSeconds: 12, progressPercent: undefined },
      DEFAULT_POLL_POLICY,
      middle,
    );
    expect(delay).toBe(12 + DEFAULT_POLL_POLICY.etaMarginSeconds);
  });

  it("derives the remaining time from progress when there is no eta", () => {
    // 60 s for 50 % -> about 60 s left.
    const delay = nextPollDelaySeconds(
      { elapsedSeconds: 60, etaSeconds: undefined, progressPercent: 50 },
      { ...DEFAULT_POLL_POLICY, maxIntervalSeconds: 120 },
      middle,
    );
    expect(delay).toBe(60 + DEFAULT_POLL_POLICY.etaMarginSeconds);
  });

  it("grows the gap with the time waited when blind, within min and max", () => {
    const blind = (elapsedSeconds: number) =>
      nextPollDelaySeconds(
        { elapsedSeconds, etaSeconds: undefined, progressPercent: undefined },
        DEFAULT_POLL_POLICY,
        middle,
      );
    expect(blind(5)).toBe(DEFAULT_POLL_POLICY.minIntervalSeconds);
    expect(blind(100)).toBeCloseTo(100 * DEFAULT_POLL_POLICY.blindGrowth);
    expect(blind(100_000)).toBe(DEFAULT_POLL_POLICY.maxIntervalSeconds);
  });

  it("while items wait for a slot, steps the blind polls by the waiting lag target, not the eta", () => {
    const profile = { samples: 100, lowSeconds: 60, highSeconds: 180 };
    const next = (observation: Parameters<typeof nextPollDelaySeconds>[0]) =>
      nextPollDelaySeconds(observation, DEFAULT_POLL_POLICY, middle, profile);
    const blindGrid = { elapsedSeconds: 80, etaSeconds: undefined, progressPercent: undefined };
    const grid = next({ ...blindGrid, gridStartSeconds: 70 });
    const waitingGrid = next({ ...blindGrid, gridStartSeconds: 70, itemsWaiting: true });
    expect(grid).toBeCloseTo(70 + 2 * DEFAULT_POLL_POLICY.lagTargetSeconds - 80, 5);
    expect(waitingGrid).toBeCloseTo(70 + 4 * DEFAULT_POLL_POLICY.waitingLagTargetSeconds - 80, 5);
    // Past the profile and without one: never more than a waiting step.
    expect(next({ ...blindGrid, elapsedSeconds: 400, itemsWaiting: true })).toBe(
      DEFAULT_POLL_POLICY.waitingLagTargetSeconds,
    );
    expect(
      nextPollDelaySeconds(
        { ...blindGrid, elapsedSeconds: 400, itemsWaiting: true },
        DEFAULT_POLL_POLICY,
        middle,
      ),
    ).toBe(DEFAULT_POLL_POLICY.waitingLagTargetSeconds);
    // An eta (whole seconds, rounded up) is followed closely: a quarter second before it, when
    // the task has ended three times in four.
    expect(
      next({ elapsedSeconds: 80, etaSeconds: 30, progressPercent: 40, itemsWaiting: true }),
    ).toBe(29.75);
    // Not done yet: the next eta is 1, polled again 0.75 s later (not held to the 2 s minimum).
    expect(
      next({ elapsedSeconds: 110, etaSeconds: 1, progressPercent: undefined, itemsWaiting: true }),
    ).toBe(0.75);
    // Nobody waits: an eta is polled after, with the full margin.
    expect(next({ elapsedSeconds: 80, etaSeconds: 30, progressPercent: undefined })).toBe(31);
    // A remaining time from progress is not rounded: never polled before it.
    expect(
      next({ elapsedSeconds: 60, etaSeconds: undefined, progressPercent: 50, itemsWaiting: true }),
    ).toBe(60);
  });

  it("never polls sooner than Retry-After after an error, and backs off", () => {
    expect(pollErrorDelaySeconds(1, 20)).toBe(20);
    expect(pollErrorDelaySeconds(1, undefined)).toBeLessThan(pollErrorDelaySeconds(3, undefined));
    expect(pollErrorDelaySeconds(30, undefined)).toBe(DEFAULT_POLL_POLICY.maxIntervalSeconds);
  });
});

describe("failure policy", () => {
  it("maps every provider error kind to one submit decision", () => {
    expect(decideSubmitFailure("invalid_request")).toBe("fail");
    expect(decideSubmitFailure("rate_limited")).toBe("rate_limit");
    expect(decideSubmitFailure("unauthorized")).toBe("credentials_stop");
    expect(decideSubmitFailure("payment_required")).toBe("credentials_stop");
    expect(decideSubmitFailure("ambiguous")).toBe("retry_possible_duplicate");
    expect(decideSubmitFailure("transient")).toBe("retry");
    expect(decideSubmitFailure("malformed_response")).toBe("retry_possible_duplicate");
  });

  it("re-submits only failures whose reason looks transient", () => {
    expect(reasonLooksTransient("internal error, please retry")).toBe(true);
    expect(reasonLooksTransient("service temporarily unavailable")).toBe(true);
    expect(reasonLooksTransient(undefined)).toBe(true);
    expect(reasonLooksTransient("content policy violation: prompt rejected")).toBe(false);
    expect(reasonLooksTransient("invalid image")).toBe(false);
  });
});

describe("spend policy", () => {
  const createError = (kind: ProviderError["kind"], status?: number) =>
    new ProviderError({ kind, operation: "create", endpoint: "veo", status });

  it("releases the reservation of every create answered with an error status, 5xx included", () => {
    for (const status of [400, 401, 402, 403, 404, 422, 429]) {
      expect(createCertainlyNotMade(createError("invalid_request", status)), `${status}`).toBe(
        true,
      );
    }
    for (const status of [500, 502, 503, 504]) {
      expect(createCertainlyNotMade(createError("transient", status)), `${status}`).toBe(true);
    }
    // Failed before it was sent.
    expect(createCertainlyNotMade(createError("transient"))).toBe(true);
  });

  it("books as spent a create that may have made a task: no answer, or a 2xx without a task id", () => {
    expect(createCertainlyNotMade(createError("ambiguous"))).toBe(false);
    expect(createCertainlyNotMade(createError("malformed_response", 200))).toBe(false);
    expect(createCertainlyNotMade(undefined)).toBe(false); // not a provider error
  });
});

describe("job ids and paths", () => {
  it("derives distinct deterministic ids per step and submission", () => {
    expect(submitJobId("b", "c", 0)).toBe("b~c");
    expect(submitJobId("b", "c", 1)).toBe("b~c~s1");
    expect(pollJobId("b", "c", 0)).not.toBe(pollJobId("b", "c", 1));
  });

  it("accepts batch ids of the custom id alphabet only", () => {
    expect(isValidBatchId("demo-2026.11_21")).toBe(true);
    expect(isValidBatchId("..")).toBe(false);
    expect(isValidBatchId("a/b")).toBe(false);
    expect(isValidBatchId("")).toBe(false);
  });

  it("keeps output paths inside the output dir", () => {
    const p = outputFilePath("/out", "b1", "shot-1", 2, "mp4");
    expect(p.absolute).toBe("/out/b1/shot-1/2.mp4");
    expect(p.relative).toBe("b1/shot-1/2.mp4");
    expect(outputFilePath("/out", "b1", "x", 0, "../../etc").relative).toBe("b1/x/0.mp4");
    expect(() => outputFilePath("/out", "..", "x", 0, "mp4")).toThrow(OutputPathError);
    expect(() => outputFilePath("/out", "b1", "../x", 0, "mp4")).toThrow(OutputPathError);
  });

  it("gives downloads whose URLs expire sooner a higher priority (lower number)", () => {
    const now = 1_000_000;
    expect(expiryPriority(now + 60_000, now)).toBeLessThan(expiryPriority(now + 3_600_000, now));
    expect(expiryPriority(Number.POSITIVE_INFINITY, now)).toBe(2_000_000);
    expect(expiryPriority(now - 5000, now)).toBe(1);
  });
});
