import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { RequestedVideo } from "@veoq/contract";
import { simulatedFileBytes } from "@veoq/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyVideo } from "../src/verify-video.ts";

const LANDSCAPE_8S_AUDIO: RequestedVideo = {
  durationSeconds: 8,
  width: 1280,
  height: 720,
  audio: true,
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "veoq-video-check-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function saved(name: string, bytes: Buffer | string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  return file;
}

/** A real H.264 + AAC file of this shape (the simulator's committed fixture). */
function videoOf(video: RequestedVideo, sizeBytes = 0): Buffer {
  return simulatedFileBytes("task-1", 0, video, sizeBytes);
}

describe("verifyVideo", () => {
  it("accepts a complete video of the asked shape and reports what it is", async () => {
    const verdict = await verifyVideo(
      await saved("ok.mp4", videoOf(LANDSCAPE_8S_AUDIO)),
      LANDSCAPE_8S_AUDIO,
    );
    expect(verdict).toEqual({
      status: "ok",
      facts: {
        durationSeconds: 8,
        width: 1280,
        height: 720,
        codecs: [expect.stringMatching(/^avc1\./), "mp4a.40.2"],
        audio: true,
      },
    });
  });

  it("reads a file larger than one read step (the mdat is skipped, padding is a free box)", async () => {
    const big = videoOf(LANDSCAPE_8S_AUDIO, 3 * 1024 * 1024);
    const verdict = await verifyVideo(await saved("big.mp4", big), LANDSCAPE_8S_AUDIO);
    expect(verdict.status).toBe("ok");
  });

  it("a truncated file is invalid and says so (cut inside the media data)", async () => {
    const whole = videoOf(LANDSCAPE_8S_AUDIO);
    const verdict = await verifyVideo(
      await saved("cut-mdat.mp4", whole.subarray(0, whole.length - 900)),
      LANDSCAPE_8S_AUDIO,
    );
    expect(verdict).toMatchObject({ status: "invalid", truncated: true });
    if (verdict.status === "invalid") expect(verdict.problem).toMatch(/^incomplete: /);
  });

  it("a file cut inside its index (moov) is invalid and truncated", async () => {
    const whole = videoOf(LANDSCAPE_8S_AUDIO);
    const verdict = await verifyVideo(
      await saved("cut-moov.mp4", whole.subarray(0, 600)),
      LANDSCAPE_8S_AUDIO,
    );
    expect(verdict).toMatchObject({ status: "invalid", truncated: true });
  });

  it("an HTML page is invalid, not truncated, and its start is quoted", async () => {
    const html =
      "<!doctype html><html><body><h1>503 Service Temporarily Unavailable</h1></body></html>";
    const verdict = await verifyVideo(await saved("page.mp4", html), LANDSCAPE_8S_AUDIO);
    expect(verdict).toMatchObject({ status: "invalid", truncated: false });
    if (verdict.status === "invalid") {
      expect(verdict.problem).toContain('not an MP4 file (85 bytes starting "<!doctype html>');
    }
  });

  it("a video of the wrong duration is a mismatch naming both durations", async () => {
    const file = await saved("4s.mp4", videoOf({ ...LANDSCAPE_8S_AUDIO, durationSeconds: 4 }));
    expect(await verifyVideo(file, LANDSCAPE_8S_AUDIO)).toMatchObject({
      status: "mismatch",
      facts: { durationSeconds: 4 },
      differences: ["duration 4 s, asked 8 s"],
    });
  });

  it("a video of the wrong resolution or orientation is a mismatch naming both sizes", async () => {
    const file = await saved(
      "1080p.mp4",
      videoOf({ ...LANDSCAPE_8S_AUDIO, width: 1920, height: 1080 }),
    );
    expect(await verifyVideo(file, LANDSCAPE_8S_AUDIO)).toMatchObject({
      status: "mismatch",
      differences: ["1920×1080, asked 1280×720"],
    });
    const portrait = { ...LANDSCAPE_8S_AUDIO, width: 720, height: 1280 };
    expect(await verifyVideo(file, portrait)).toMatchObject({
      differences: ["1920×1080, asked 720×1280"],
    });
  });

  it("a video without the asked audio track is a mismatch, and so is unasked audio", async () => {
    const mute = await saved("mute.mp4", videoOf({ ...LANDSCAPE_8S_AUDIO, audio: false }));
    expect(await verifyVideo(mute, LANDSCAPE_8S_AUDIO)).toMatchObject({
      status: "mismatch",
      facts: { audio: false, codecs: [expect.stringMatching(/^avc1\./)] },
      differences: ["no audio track, asked generate_audio"],
    });
    const loud = await saved("loud.mp4", videoOf(LANDSCAPE_8S_AUDIO));
    expect(await verifyVideo(loud, { ...LANDSCAPE_8S_AUDIO, audio: false })).toMatchObject({
      differences: ["an audio track, asked none"],
    });
  });
});
