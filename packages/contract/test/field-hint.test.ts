import { describe, expect, it } from "vitest";
import { suggestField } from "../src/index.ts";

const IMG2VIDEO_FIELDS = [
  "prompt",
  "image",
  "last_image",
  "reference_images",
  "aspect_ratio",
  "duration_seconds",
  "enhance_prompt",
  "generate_audio",
  "negative_prompt",
  "person_generation",
  "resolution",
  "sample_count",
  "seed",
];
const LITE_FIELDS = [
  "prompt",
  "image",
  "last_frame_image",
  "duration",
  "resolution",
  "aspect_ratio",
  "sample_count",
  "enhance_prompt",
  "generate_audio",
  "negative_prompt",
  "person_generation",
  "seed",
];

describe("suggestField", () => {
  it("knows the confusions between the two endpoints", () => {
    expect(suggestField("duration_seconds", LITE_FIELDS)).toBe("duration");
    expect(suggestField("duration", IMG2VIDEO_FIELDS)).toBe("duration_seconds");
    expect(suggestField("last_image", LITE_FIELDS)).toBe("last_frame_image");
    expect(suggestField("last_frame_image", IMG2VIDEO_FIELDS)).toBe("last_image");
    expect(suggestField("first_frame_image", LITE_FIELDS)).toBe("image");
  });

  it("matches other case and separator styles", () => {
    expect(suggestField("durationSeconds", IMG2VIDEO_FIELDS)).toBe("duration_seconds");
    expect(suggestField("negative-prompt", LITE_FIELDS)).toBe("negative_prompt");
    expect(suggestField("AspectRatio", LITE_FIELDS)).toBe("aspect_ratio");
  });

  it("suggests close typos by edit distance", () => {
    expect(suggestField("promt", IMG2VIDEO_FIELDS)).toBe("prompt");
    expect(suggestField("reference_image", IMG2VIDEO_FIELDS)).toBe("reference_images");
    expect(suggestField("sample_cuont", LITE_FIELDS)).toBe("sample_count");
    expect(suggestField("images", ["image", "reference_type"])).toBe("image");
  });

  it("suggests nothing for unrelated names", () => {
    expect(suggestField("model", IMG2VIDEO_FIELDS)).toBeUndefined();
    expect(suggestField("callback_url", LITE_FIELDS)).toBeUndefined();
    expect(suggestField("x", [])).toBeUndefined();
  });

  it("suggests a confusion only when its target is known", () => {
    expect(
      suggestField(
        "duration",
        LITE_FIELDS.filter((f) => f !== "duration"),
      ),
    ).toBeUndefined();
  });
});
