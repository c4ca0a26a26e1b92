import { describe, expect, it } from "vitest";
import { readPromptMarkers } from "../src/prompt-markers.ts";

describe("readPromptMarkers", () => {
  it("reads duration, fail-once and fail markers", () => {
    expect(readPromptMarkers("a cat [sim:duration=12] [sim:fail-once]")).toEqual({
      durationSeconds: 12,
      failOnce: true,
      fail: false,
    });
    expect(readPromptMarkers("[sim:fail]").fail).toBe(true);
  });

  it("finds nothing in an ordinary prompt or a non-string", () => {
    expect(readPromptMarkers("a cat surfing [sim:duration=x]")).toEqual({
      durationSeconds: undefined,
      failOnce: false,
      fail: false,
    });
    expect(readPromptMarkers(42).fail).toBe(false);
  });
});
