import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { simulatedFileBytes } from "@veoq/simulator";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { batchResults, type ItemResult, type ResultLine } from "../src/index.ts";
import { checkOutput, OutputRejectedError } from "../src/stages/output-check.ts";
import { collect, createHarness, type Harness, img2videoLine } from "./pipeline-harness.ts";

/** The line's final record; fails the test when the item is not final. */
function finalOf(line: ResultLine | undefined): ItemResult {
  if (line?.status !== "completed" && line?.status !== "failed") {
    throw new Error(`not final: ${JSON.stringify(line)}`);
  }
  return line;
}

const WITH_AUDIO = { generate_audio: true, duration_seconds: 6, resolution: "1080p" };

describe("every saved video is checked against its request (VEOQ_VERIFY_OUTPUTS)", () => {
  let h: Harness;
  afterEach(async () => h?.close());

  /** Renders one item whose task serves the wrong video, in this mode; its final record. */
  async function renderWrongVideo(mode: "warn" | "off"): Promise<ItemResult> {
    h = await createHarness({ env: { VEOQ_VERIFY_OUTPUTS: mode } });
    await h.start();
    await h.enqueue(
      await h.writeManifest([
        img2videoLine("wrong", { ...WITH_AUDIO, prompt: "[sim:wrong-video]" }),
      ]),
    );
    await h.waitForBatch("b1");
    return finalOf((await collect(batchResults(h.store, "b1")))[0]);
  }

  it("fail (default): a matching video is saved with what it is; a wrong one fails the item as output_mismatch", async () => {
    h = await createHarness();
    await h.start();
    await h.enqueue(
      await h.writeManifest([
        img2videoLine("good", WITH_AUDIO),
        img2videoLine("wrong", { ...WITH_AUDIO, prompt: "a fox [sim:wrong-video]" }),
      ]),
    );
    await h.waitForBatch("b1");
    const results = new Map(
      (await collect(batchResults(h.store, "b1"))).map((line) => [line.customId, line]),
    );
    const good = finalOf(results.get("good"));
    expect(good.status).toBe("completed");
    expect(good.files[0]).toMatchObject({
      durationSeconds: 6,
      width: 1920,
      height: 1080,
      codecs: [expect.stringMatching(/^avc1\./), "mp4a.40.2"],
      audio: true,
    });
    expect(good.files[0]?.flagged).toBeUndefined();
    const wrong = finalOf(results.get("wrong"));
    expect(wrong).toMatchObject({
      status: "failed",
      errorKind: "output_mismatch",
      failedStage: "download",
      files: [],
    });
    expect(wrong.errorMessage).toBe(
      `${path.join("b1", "wrong", "0.mp4")} is not the video asked for: duration 4 s, asked 6 s; no audio track, asked generate_audio`,
    );
  });

  it("warn: a wrong video is saved, completed and flagged with what differs", async () => {
    const wrong = await renderWrongVideo("warn");
    expect(wrong.status).toBe("completed");
    expect(wrong.files[0]).toMatchObject({
      durationSeconds: 4,
      audio: false,
      flagged: ["duration 4 s, asked 6 s", "no audio track, asked generate_audio"],
    });
    // The batch counts flagged files once, however often the item is finished.
    expect((await h.store.getBatch("b1"))?.flaggedFiles).toBe(1);
    await h.store.finishItem(wrong);
    expect((await h.store.getBatch("b1"))?.flaggedFiles).toBe(1);
    await h.store.finishItem({ ...wrong, files: [] });
    expect((await h.store.getBatch("b1"))?.flaggedFiles).toBe(0);
  });

  it("off: files are saved unchecked", async () => {
    const wrong = await renderWrongVideo("off");
    expect(wrong.status).toBe("completed");
    expect(wrong.files[0]?.durationSeconds).toBeUndefined();
    expect(wrong.files[0]?.flagged).toBeUndefined();
  });
});

describe("checkOutput on a truncated transfer", () => {
  const asked = { durationSeconds: 8, width: 1280, height: 720, audio: false };
  let dir: string;
  let cut: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "veoq-output-check-"));
    cut = path.join(dir, "cut.mp4");
    const whole = simulatedFileBytes("t", 0, asked, 0);
    await writeFile(cut, whole.subarray(0, whole.length - 500));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it("is rejected as retryable (the download is tried again), in fail and in warn mode", async () => {
    for (const mode of ["fail", "warn"] as const) {
      const rejection = await checkOutput(mode, cut, asked, {
        label: "x.mp4",
        triesLeft: true,
      }).catch((error: unknown) => error);
      expect(rejection).toBeInstanceOf(OutputRejectedError);
      expect(rejection).toMatchObject({ kind: "output_invalid", retryable: true });
      expect((rejection as Error).message).toMatch(/^x\.mp4 is not a complete video: incomplete: /);
    }
  });

  it("on the last try: fails in fail mode, is kept and flagged in warn mode", async () => {
    const last = { label: "x.mp4", triesLeft: false };
    await expect(checkOutput("fail", cut, asked, last)).rejects.toMatchObject({
      kind: "output_invalid",
    });
    const facts = await checkOutput("warn", cut, asked, last);
    expect(facts.flagged?.[0]).toMatch(/^incomplete: /);
  });
});
