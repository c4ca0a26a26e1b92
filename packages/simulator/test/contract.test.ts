import { CONTRACT_CASES } from "@veoq/contract";
import { describe, expect, it } from "vitest";
import {
  IMG2VIDEO,
  img2videoBody,
  LITE,
  postCreate,
  postJson,
  startTestSimulator,
} from "./simulator-harness.ts";

const PNG_BASE64 = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]).toString(
  "base64",
);
const GIF_BASE64 = Buffer.from("GIF89a-not-really-a-gif").toString("base64");
const TEXT_BASE64 = Buffer.from("hello, this is not an image").toString("base64");

describe("shared contract suite", () => {
  it.each(CONTRACT_CASES.map((c) => [c.name, c] as const))("%s", async (_name, contractCase) => {
    const sim = await startTestSimulator();
    const answer = await postCreate(sim, contractCase.slug, contractCase.body);
    if (contractCase.valid) {
      expect(answer.status, answer.text).toBe(200);
      expect(answer.json).toEqual({ task_id: expect.any(String) });
    } else {
      expect(answer.status).toBe(400);
      const message = (answer.json as { message: string }).message;
      expect(answer.json).toMatchObject({ code: 400 });
      expect(message).toContain(contractCase.path ?? "");
      if (contractCase.messageIncludes !== undefined) {
        expect(message).toContain(contractCase.messageIncludes);
      }
    }
  });
});

describe("request checks beyond the schema", () => {
  it("accepts base64 image bytes the endpoint allows", async () => {
    const sim = await startTestSimulator();
    const answer = await postCreate(sim, LITE, {
      prompt: "p",
      image: PNG_BASE64,
      last_frame_image: `data:image/png;base64,${PNG_BASE64}`,
    });
    expect(answer.status).toBe(200);
  });

  it("refuses base64 that is not an image, naming the field", async () => {
    const sim = await startTestSimulator();
    const answer = await postCreate(
      sim,
      IMG2VIDEO,
      img2videoBody("p", { last_image: TEXT_BASE64 }),
    );
    expect(answer.status).toBe(400);
    expect((answer.json as { message: string }).message).toMatch(/^last_image: /);
  });

  it("refuses a GIF on the JPEG/PNG-only endpoint but accepts it on img2video", async () => {
    const sim = await startTestSimulator();
    const lite = await postCreate(sim, LITE, {
      prompt: "p",
      image: GIF_BASE64,
      last_frame_image: PNG_BASE64,
    });
    expect(lite.status).toBe(400);
    expect((lite.json as { message: string }).message).toContain("image: must be jpeg or png");
    const img2video = await postCreate(sim, IMG2VIDEO, img2videoBody("p", { image: GIF_BASE64 }));
    expect(img2video.status).toBe(200);
  });

  it("refuses a local file path as an image", async () => {
    const sim = await startTestSimulator();
    const answer = await postCreate(sim, IMG2VIDEO, img2videoBody("p", { image: "/tmp/cat.png" }));
    expect(answer.status).toBe(400);
    expect((answer.json as { message: string }).message).toMatch(/^image: /);
  });

  it("answers 400 to a body that is not JSON", async () => {
    const sim = await startTestSimulator();
    const answer = await postCreate(sim, IMG2VIDEO, "{not json");
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({ code: 400, message: expect.stringContaining("JSON") });
  });

  it("answers 404 to an unknown endpoint and 405 to a GET on a create endpoint", async () => {
    const sim = await startTestSimulator();
    expect((await postJson(sim, "/v3/async/veo-4-imaginary", {})).status).toBe(404);
    expect((await fetch(`${sim.url}/v3/async/${IMG2VIDEO}`)).status).toBe(405);
  });
});
