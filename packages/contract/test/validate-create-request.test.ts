import { describe, expect, it } from "vitest";
import {
  durationSecondsOf,
  ENDPOINT_SLUGS,
  ENDPOINTS,
  imageValuesOf,
  isEndpointSlug,
  sampleCountOf,
  TASK_RESULT_PATH,
  validateCreateRequest,
} from "../src/index.ts";

const IMG2VIDEO = "veo-3.1-generate-img2video";
const LITE = "veo-3.1-lite-firstlastframe";

describe("validateCreateRequest", () => {
  it("rejects an unknown slug with one issue naming the known slugs", () => {
    const result = validateCreateRequest("veo-3.1-generate-firstlastframe", { prompt: "x" });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toHaveLength(1);
    expect(result.issues[0]?.path).toBe("");
    for (const slug of ENDPOINT_SLUGS) expect(result.issues[0]?.message).toContain(slug);
  });

  it.each([[null], [[]], ["text"], [42]])("rejects a body that is not an object (%j)", (body) => {
    const result = validateCreateRequest(IMG2VIDEO, body);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toEqual([{ path: "", message: expect.stringContaining("JSON object") }]);
  });

  it("returns the body unchanged, without defaults", () => {
    const body = { prompt: "p", generate_audio: true };
    const result = validateCreateRequest(IMG2VIDEO, body);
    expect(result).toEqual({ ok: true, value: body });
    if (result.ok) expect(result.value).toBe(body);
  });

  it("reports every problem at once, including cross-field rules next to other errors", () => {
    const result = validateCreateRequest(IMG2VIDEO, {
      prompt: "",
      durationSeconds: 8,
      duration_seconds: 6,
      reference_images: [{ image: "https://e/x.png", reference_type: "asset" }],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toEqual(
      expect.arrayContaining([
        { path: "prompt", message: "must not be empty" },
        { path: "generate_audio", message: expect.stringContaining("is required") },
        { path: "duration_seconds", message: "must be 8 when reference_images is used" },
        {
          path: "durationSeconds",
          message: 'unknown field "durationSeconds"; did you mean "duration_seconds"?',
        },
      ]),
    );
  });

  it("never echoes huge values in messages", () => {
    const huge = "A".repeat(100_000);
    const result = validateCreateRequest(IMG2VIDEO, { prompt: "p", generate_audio: huge });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const message = result.issues[0]?.message ?? "";
    expect(message.length).toBeLessThan(200);
    expect(message).toContain("100000 chars");
  });

  it("the schemas in ENDPOINTS are the ones validateCreateRequest applies", () => {
    expect(ENDPOINTS[LITE].schema.safeParse({ prompt: "p" }).success).toBe(false);
    expect(
      ENDPOINTS[LITE].schema.safeParse({ prompt: "p", image: "a", last_frame_image: "b" }).success,
    ).toBe(true);
  });
});

describe("endpoints", () => {
  it("maps each slug to /v3/async/<slug>", () => {
    for (const slug of ENDPOINT_SLUGS) {
      expect(ENDPOINTS[slug].slug).toBe(slug);
      expect(ENDPOINTS[slug].path).toBe(`/v3/async/${slug}`);
      expect(ENDPOINTS[slug].defaultDurationSeconds).toBe(8);
    }
    expect(ENDPOINTS[IMG2VIDEO].durationField).toBe("duration_seconds");
    expect(ENDPOINTS[LITE].durationField).toBe("duration");
    expect(TASK_RESULT_PATH).toBe("/v3/async/task-result");
  });

  it("marks Lite image fields jpeg/png only and img2video ones not", () => {
    expect(ENDPOINTS[LITE].imageFields.every((f) => f.jpegPngOnly)).toBe(true);
    expect(ENDPOINTS[IMG2VIDEO].imageFields.some((f) => f.jpegPngOnly)).toBe(false);
  });

  it("isEndpointSlug accepts only known slugs", () => {
    expect(isEndpointSlug(IMG2VIDEO)).toBe(true);
    expect(isEndpointSlug(LITE)).toBe(true);
    expect(isEndpointSlug("veo-3.1")).toBe(false);
    expect(isEndpointSlug(42)).toBe(false);
  });
});

describe("request values", () => {
  it("durationSecondsOf reads the endpoint's duration field, default 8", () => {
    expect(durationSecondsOf(IMG2VIDEO, { prompt: "p", generate_audio: true })).toBe(8);
    expect(
      durationSecondsOf(IMG2VIDEO, { prompt: "p", generate_audio: true, duration_seconds: 4 }),
    ).toBe(4);
    expect(durationSecondsOf(LITE, { prompt: "p", image: "a", last_frame_image: "b" })).toBe(8);
    expect(
      durationSecondsOf(LITE, { prompt: "p", image: "a", last_frame_image: "b", duration: 6 }),
    ).toBe(6);
  });

  it("sampleCountOf reads sample_count, default 1", () => {
    expect(sampleCountOf(IMG2VIDEO, { prompt: "p", generate_audio: true })).toBe(1);
    expect(
      sampleCountOf(LITE, { prompt: "p", image: "a", last_frame_image: "b", sample_count: 3 }),
    ).toBe(3);
  });

  it("imageValuesOf lists every image with its concrete path", () => {
    expect(
      imageValuesOf(IMG2VIDEO, {
        image: "first.png",
        last_image: "last.png",
        reference_images: [
          { image: "a.png", reference_type: "asset" },
          { reference_type: "asset" },
          { image: "c.png", reference_type: "asset" },
        ],
      }),
    ).toEqual([
      { path: "image", value: "first.png", jpegPngOnly: false },
      { path: "last_image", value: "last.png", jpegPngOnly: false },
      { path: "reference_images[0].image", value: "a.png", jpegPngOnly: false },
      { path: "reference_images[2].image", value: "c.png", jpegPngOnly: false },
    ]);
    expect(
      imageValuesOf(LITE, { image: "a.jpg", last_frame_image: "b.jpg", last_image: "x" }),
    ).toEqual([
      { path: "image", value: "a.jpg", jpegPngOnly: true },
      { path: "last_frame_image", value: "b.jpg", jpegPngOnly: true },
    ]);
  });

  it("imageValuesOf skips values of the wrong type", () => {
    expect(imageValuesOf(IMG2VIDEO, { image: 42, reference_images: "nope" })).toEqual([]);
    expect(imageValuesOf(IMG2VIDEO, { reference_images: [null, 3, { image: 4 }] })).toEqual([]);
  });
});
