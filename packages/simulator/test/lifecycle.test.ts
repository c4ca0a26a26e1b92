import { createHash } from "node:crypto";
import { parseTaskResult } from "@veoq/contract";
import { describe, expect, it } from "vitest";
import { simulatedFileBytes } from "../src/simulated-file-bytes.ts";
import {
  createTask,
  getTaskResult,
  IMG2VIDEO,
  img2videoBody,
  manualClock,
  startTestSimulator,
} from "./simulator-harness.ts";

const sha256Of = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
/** What `img2videoBody()` asks for: the provider's defaults, no audio. */
const LANDSCAPE_8S_MUTE = { durationSeconds: 8, width: 1280, height: 720, audio: false };

describe("task lifecycle (injected clock, time scale 0.01)", () => {
  it("goes QUEUED -> PROCESSING -> SUCCEED with eta and progress, then serves the video", async () => {
    const time = manualClock();
    const sim = await startTestSimulator({ clock: time.clock, timeScale: 0.01 });
    const taskId = await createTask(sim, img2videoBody("a cat [sim:duration=100]"));

    const queued = await getTaskResult(sim, taskId);
    expect(queued.status).toBe(200);
    expect(queued.result.task).toEqual({
      task_id: taskId,
      task_type: "VEO_3_1_GENERATE_IMG2VIDEO",
      status: "TASK_STATUS_QUEUED",
      reason: "",
      eta: 100,
      progress_percent: 0,
    });
    expect(queued.result.videos).toEqual([]);

    time.advance(550); // 55 provider seconds: half-way through processing
    const processing = await getTaskResult(sim, taskId);
    expect(processing.result.task).toMatchObject({
      status: "TASK_STATUS_PROCESSING",
      eta: 45,
      progress_percent: 50,
    });

    time.advance(450);
    const done = await getTaskResult(sim, taskId);
    expect(done.result.task).toMatchObject({
      status: "TASK_STATUS_SUCCEED",
      progress_percent: 100,
    });
    expect(done.result.videos).toHaveLength(1);
    expect(done.result.images).toEqual([]);
    expect(done.result.audios).toEqual([]);
    expect(done.result.extra.debug_info).toHaveProperty("complete_time_ms");
    const parsed = parseTaskResult(done.json);
    expect(parsed).toMatchObject({ ok: true, value: { status: "SUCCEED", taskId } });

    const video = done.result.videos[0];
    if (video === undefined) throw new Error("no video");
    expect(video.video_type).toBe("mp4");
    expect(Number(video.video_url_ttl)).toBe(3600);
    const file = await fetch(video.video_url);
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toBe("video/mp4");
    const bytes = new Uint8Array(await file.arrayBuffer());
    expect(file.headers.get("content-length")).toBe(String(bytes.length));
    expect(Buffer.from(bytes.subarray(4, 8)).toString("latin1")).toBe("ftyp");
    expect(sha256Of(bytes)).toBe(sha256Of(simulatedFileBytes(taskId, 0, LANDSCAPE_8S_MUTE, 8192)));

    const [task] = sim.tasks();
    expect(task).toMatchObject({
      taskId,
      endpoint: IMG2VIDEO,
      status: "SUCCEED",
      durationSeconds: 100,
      polls: 3,
      finalObservedAtMs: time.now,
      detectionLagSeconds: 0,
      files: [{ index: 0, sha256: sha256Of(bytes), bytes: 8192 }],
    });
  });

  it("reaches SUCCEED in real time with a small time scale", async () => {
    const sim = await startTestSimulator({ timeScale: 0.001 });
    const taskId = await createTask(sim, img2videoBody("quick [sim:duration=20]"));
    let status = "";
    for (let i = 0; i < 200 && status !== "TASK_STATUS_SUCCEED"; i += 1) {
      status = (await getTaskResult(sim, taskId)).result.task.status;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(status).toBe("TASK_STATUS_SUCCEED");
  });

  it("gives one distinct video per sample and alternates the ttl's type between polls", async () => {
    const time = manualClock();
    const sim = await startTestSimulator({
      clock: time.clock,
      timeScale: 0.01,
      fileSizeBytes: 5000,
    });
    const taskId = await createTask(
      sim,
      img2videoBody("two [sim:duration=1]", { sample_count: 2 }),
    );
    time.advance(10);
    const first = await getTaskResult(sim, taskId);
    expect(first.result.videos).toHaveLength(2);
    const ttlTypes = first.result.videos.map((video) => typeof video.video_url_ttl);
    expect(new Set(ttlTypes)).toEqual(new Set(["string", "number"]));
    const second = await getTaskResult(sim, taskId);
    expect(typeof second.result.videos[0]?.video_url_ttl).not.toBe(ttlTypes[0]);

    const bodies = await Promise.all(
      first.result.videos.map(async (video) =>
        Buffer.from(await (await fetch(video.video_url)).arrayBuffer()),
      ),
    );
    expect(bodies[0]?.length).toBe(5000);
    expect(bodies[0]?.equals(bodies[1] as Buffer)).toBe(false);
    expect(sim.tasks()[0]?.files.map((file) => file.index)).toEqual([0, 1]);
  });

  it("gives different bytes to different tasks", async () => {
    const time = manualClock();
    const sim = await startTestSimulator({ clock: time.clock, timeScale: 0.01 });
    const a = await createTask(sim, img2videoBody("a [sim:duration=1]"));
    const b = await createTask(sim, img2videoBody("b [sim:duration=1]"));
    time.advance(10);
    const hashes = await Promise.all(
      [a, b].map(async (taskId) => {
        const url = (await getTaskResult(sim, taskId)).result.videos[0]?.video_url ?? "";
        return sha256Of(new Uint8Array(await (await fetch(url)).arrayBuffer()));
      }),
    );
    expect(hashes[0]).not.toBe(hashes[1]);
  });

  it("leaves out eta and progress_percent when they are turned off", async () => {
    const sim = await startTestSimulator({ reportEta: false, reportProgress: false });
    const taskId = await createTask(sim);
    const { result } = await getTaskResult(sim, taskId);
    expect(result.task).not.toHaveProperty("eta");
    expect(result.task).not.toHaveProperty("progress_percent");
  });

  it("answers 404 to an unknown task id and 400 without one", async () => {
    const sim = await startTestSimulator();
    const unknown = await getTaskResult(sim, "no-such-task");
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ code: 404 });
    expect((await getTaskResult(sim, "")).status).toBe(400);
  });

  it("measures detection lag from the first poll that saw the final status", async () => {
    const time = manualClock();
    const sim = await startTestSimulator({ clock: time.clock, timeScale: 0.01 });
    const taskId = await createTask(sim, img2videoBody("[sim:duration=10]"));
    time.advance(100 + 70); // 7 provider seconds after the finish
    await getTaskResult(sim, taskId);
    time.advance(500);
    await getTaskResult(sim, taskId);
    expect(sim.tasks()[0]).toMatchObject({ polls: 2, detectionLagSeconds: 7 });
  });
});

describe("result URLs", () => {
  it("expire after urlTtlSeconds (scaled): 200 before, 403 after", async () => {
    const time = manualClock();
    const sim = await startTestSimulator({ clock: time.clock, timeScale: 0.01, urlTtlSeconds: 60 });
    const taskId = await createTask(sim, img2videoBody("[sim:duration=1]"));
    time.advance(10);
    const url = (await getTaskResult(sim, taskId)).result.videos[0]?.video_url ?? "";
    time.advance(600);
    expect((await fetch(url)).status).toBe(200);
    time.advance(1);
    const expired = await fetch(url);
    expect(expired.status).toBe(403);
    expect(await expired.json()).toMatchObject({ message: "url expired" });
    expect(sim.stats().downloads).toEqual({ total: 2, expired: 1 });
  });

  it("refuse a tampered signature or expiry", async () => {
    const time = manualClock();
    const sim = await startTestSimulator({ clock: time.clock, timeScale: 0.01 });
    const taskId = await createTask(sim, img2videoBody("[sim:duration=1]"));
    time.advance(10);
    const url = new URL((await getTaskResult(sim, taskId)).result.videos[0]?.video_url ?? "");
    const badSig = new URL(url);
    badSig.searchParams.set("sig", "AAAA");
    expect((await fetch(badSig)).status).toBe(403);
    const extended = new URL(url);
    extended.searchParams.set("expires", String(Number(url.searchParams.get("expires")) + 1));
    expect((await fetch(extended)).status).toBe(403);
    expect((await fetch(url)).status).toBe(200);
  });
});
