import { describe, expect, it } from "vitest";
import { takeToken } from "../src/token-bucket.ts";

describe("takeToken", () => {
  const rate = { requestsPerSecond: 2, burst: 3 };

  it("allows a full burst from a fresh bucket, then refuses with the wait for one token", () => {
    let state = takeToken(undefined, rate, 1000).state;
    state = takeToken(state, rate, 1000).state;
    const third = takeToken(state, rate, 1000);
    expect(third.allowed).toBe(true);
    const fourth = takeToken(third.state, rate, 1000);
    expect(fourth.allowed).toBe(false);
    expect(fourth.waitMs).toBe(500);
  });

  it("refills at the given rate", () => {
    let take = takeToken({ tokens: 0, updatedAtMs: 0 }, rate, 499);
    expect(take.allowed).toBe(false);
    take = takeToken(take.state, rate, 500);
    expect(take.allowed).toBe(true);
  });

  it("never holds more than the burst", () => {
    const take = takeToken({ tokens: 0, updatedAtMs: 0 }, rate, 1_000_000);
    expect(take.state.tokens).toBe(2);
  });

  it("uses max(1, requestsPerSecond) as capacity when burst is 0", () => {
    const take = takeToken(undefined, { requestsPerSecond: 0.5, burst: 0 }, 0);
    expect(take.allowed).toBe(true);
    expect(takeToken(take.state, { requestsPerSecond: 0.5, burst: 0 }, 0).allowed).toBe(false);
  });
});
