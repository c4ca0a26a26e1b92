import { describe, expect, it } from "vitest";
import { InFlightTracker } from "../src/in-flight-tracker.ts";

describe("InFlightTracker", () => {
  it("counts tasks until their finish time, per key and in total", () => {
    const tracker = new InFlightTracker();
    tracker.add("a", 300, 0);
    tracker.add("a", 100, 0);
    tracker.add("b", 200, 0);
    expect(tracker.total(0)).toBe(3);
    expect(tracker.countOf("a", 0)).toBe(2);
    expect(tracker.countOf("a", 100)).toBe(1);
    expect(tracker.total(200)).toBe(1);
    expect(tracker.countOf("b", 200)).toBe(0);
    expect(tracker.total(300)).toBe(0);
  });

  it("ignores tasks already finished when added", () => {
    const tracker = new InFlightTracker();
    tracker.add("a", 50, 100);
    expect(tracker.total(100)).toBe(0);
  });

  it("stays ordered under many random finish times", () => {
    const tracker = new InFlightTracker();
    const finishes = Array.from({ length: 500 }, (_, i) => (i * 7919) % 1000);
    for (const finish of finishes) tracker.add("k", finish + 1, 0);
    for (const now of [0, 250, 500, 999, 1001]) {
      expect(tracker.total(now)).toBe(finishes.filter((f) => f + 1 > now).length);
    }
  });
});
