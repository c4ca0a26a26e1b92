import { describe, expect, it } from "vitest";
import { requestedVideoOf } from "../src/request-values.ts";

describe("requestedVideoOf", () => {
  it("applies the provider's defaults: 8 s, 720p landscape, no audio", () => {
    expect(
      requestedVideoOf("veo-3.1-lite-firstlastframe", {
        prompt: "p",
        image: "i",
        last_frame_image: "j",
      }),
    ).toEqual({ durationSeconds: 8, width: 1280, height: 720, audio: false });
  });

  it("reads duration, resolution, aspect ratio and audio; 9:16 swaps width and height", () => {
    expect(
      requestedVideoOf("veo-3.1-generate-img2video", {
        prompt: "p",
        generate_audio: true,
        duration_seconds: 4,
        resolution: "1080p",
        aspect_ratio: "9:16",
      }),
    ).toEqual({ durationSeconds: 4, width: 1080, height: 1920, audio: true });
  });
});
