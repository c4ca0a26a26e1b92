import { describe, expect, it } from "vitest";
import { readPromptMarkers } from "../src/prompt-markers.ts";

describe("readPromptMarkers", () => {
  it("reads duration, fail-once, fail and wrong-video markers", () => {
    expect(readPromptMarkers("a cat [sim:duration=12] [sim:fail-once]")).toEqual({
      durationSeconds: 12,
      failOnce: true,
      fail: false,
      wrongVideo: false,
    });
    expect(readPromptMarkers("a cat [sim:wrong-video]").wrongVideo).toBe(true);
    expect(readPromptMarkers("[sim:fail]").fail).toBe(true);
  });

  it("finds nothing in an ordinary prompt or a non-string", () => {
    expect(readPromptMarkers("a cat surfing [sim:duration=x]")).toEqual({
      durationSeconds: undefined,
      failOnce: false,
      fail: false,
      wrongVideo: false,
    });
    expect(readPromptMarkers(42).fail).toBe(false);
  });
});
