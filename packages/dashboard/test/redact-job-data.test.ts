import { describe, expect, it } from "vitest";
import { redactJobData } from "../src/index.ts";

describe("redactJobData", () => {
  it("replaces inline images (data URIs and long base64) with a note", () => {
    const base64 = "iVBORw0KGgo".padEnd(4000, "A");
    const out = redactJobData({
      input: { image: `data:image/png;base64,${base64}`, last_image: base64 },
    }) as { input: Record<string, string> };
    expect(out.input.image).toMatch(/^\[inline image\/png, ~\d+ KiB elided\]$/);
    expect(out.input.last_image).toMatch(/^\[inline base64, ~\d+ KiB elided\]$/);
    expect(JSON.stringify(out)).not.toContain("AAAA");
  });

  it("elides query strings of URLs (signed result URLs) and secret-looking keys", () => {
    const out = redactJobData({
      outputs: [{ url: "https://files.example/v.mp4?sig=abc&exp=1" }],
      headers: { Authorization: "Bearer sk-123", apiKey: "sk-456" },
    });
    expect(JSON.stringify(out)).not.toMatch(/sig=abc|sk-123|sk-456/);
    expect(out).toMatchObject({ outputs: [{ url: "https://files.example/v.mp4?[query elided]" }] });
  });

  it("leaves our ordinary job data alone: paths, prompts, short strings, numbers", () => {
    const data = {
      v: 1,
      customId: "shot-1",
      input: {
        prompt: "a fox in fresh snow",
        image: "/data/frames/a.png",
        image_url: "https://cdn.example/a.png",
      },
      localImages: ["image"],
      trace: { taskIds: ["task-1"], polls: 2 },
    };
    expect(redactJobData(data)).toEqual(data);
  });
});
