import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { RequestedVideo } from "@veoq/contract";
import { afterAll, describe, expect, it } from "vitest";
import { simulatedFileBytes } from "../src/simulated-file-bytes.ts";

const dir = mkdtempSync(path.join(tmpdir(), "veoq-sim-video-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Probed {
  streams: { codec_type: string; codec_name: string; width?: number; height?: number }[];
  format: { duration: string };
}

/** ffprobe's view of the bytes, as an independent check (infra/test/ensure-ffmpeg.sh installs it). */
function ffprobe(bytes: Buffer, name: string): Probed {
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  const json = execFileSync("ffprobe", [
    "-v",
    "error",
    "-show_streams",
    "-show_format",
    "-of",
    "json",
    file,
  ]);
  // Decoding every frame proves more than the headers: ffmpeg prints nothing on a sound file.
  const errors = execFileSync("ffmpeg", ["-v", "error", "-i", file, "-f", "null", "-"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  expect(errors).toBe("");
  return JSON.parse(json.toString("utf8")) as Probed;
}

const SHAPES: RequestedVideo[] = [];
for (const durationSeconds of [4, 6, 8]) {
  for (const [width, height] of [
    [1280, 720],
    [720, 1280],
    [1920, 1080],
    [1080, 1920],
  ] as const) {
    for (const audio of [true, false]) SHAPES.push({ durationSeconds, width, height, audio });
  }
}

describe("simulatedFileBytes", () => {
  it.each(SHAPES)(
    "is a playable MP4 of the asked shape: %o",
    (video) => {
      const bytes = simulatedFileBytes("task-1", 1, video, 0);
      const probed = ffprobe(
        bytes,
        `${video.width}x${video.height}-${video.durationSeconds}-${video.audio}.mp4`,
      );
      expect(Number(probed.format.duration)).toBeCloseTo(video.durationSeconds, 1);
      const videoStream = probed.streams.find((stream) => stream.codec_type === "video");
      expect(videoStream).toMatchObject({
        codec_name: "h264",
        width: video.width,
        height: video.height,
      });
      const audioStreams = probed.streams.filter((stream) => stream.codec_type === "audio");
      expect(audioStreams.map((stream) => stream.codec_name)).toEqual(video.audio ? ["aac"] : []);
      // ffprobe and a full ffmpeg decode per shape: seconds each on a loaded 2-core machine.
    },
    60_000,
  );

  const video = SHAPES[0] as RequestedVideo;

  it("is a pure function of task id and index, and differs between them", () => {
    const a = simulatedFileBytes("task-1", 0, video, 4096);
    expect(simulatedFileBytes("task-1", 0, video, 4096).equals(a)).toBe(true);
    expect(simulatedFileBytes("task-1", 1, video, 4096).equals(a)).toBe(false);
    expect(simulatedFileBytes("task-2", 0, video, 4096).equals(a)).toBe(false);
    expect(a.toString("latin1")).toContain("veoq-simulator task=task-1 index=0");
  });

  it("is padded to the asked size, and stays playable", () => {
    const bytes = simulatedFileBytes("task-1", 0, video, 64 * 1024);
    expect(bytes.length).toBe(64 * 1024);
    expect(Number(ffprobe(bytes, "padded.mp4").format.duration)).toBeCloseTo(4, 1);
  });

  it("is never smaller than its base video", () => {
    expect(simulatedFileBytes("task-1", 0, video, 10).length).toBeGreaterThan(1000);
  });
});
