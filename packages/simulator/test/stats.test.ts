import { describe, expect, it } from "vitest";
import {
  createTask,
  getJson,
  getTaskResult,
  IMG2VIDEO,
  img2videoBody,
  LITE,
  manualClock,
  postCreate,
  postJson,
  startTestSimulator,
} from "./simulator-harness.ts";

describe("stats", () => {
  it("counts a body seen again (keys in any order) as a duplicate, a different body not", async () => {
    const sim = await startTestSimulator();
    await createTask(sim, { prompt: "same", generate_audio: false, seed: 1 });
    await createTask(sim, { seed: 1, generate_audio: false, prompt: "same" });
    await createTask(sim, { seed: 2, generate_audio: false, prompt: "same" });
    await createTask(sim, { seed: 1, generate_audio: false, prompt: "same" });
    expect(sim.stats().creates.duplicateBodies).toBe(2);
  });

  it("does not count refused creates as duplicates", async () => {
    const sim = await startTestSimulator();
    await postCreate(sim, IMG2VIDEO, img2videoBody("x"), "wrong");
    await createTask(sim, img2videoBody("x"));
    expect(sim.stats().creates.duplicateBodies).toBe(0);
  });

  it("counts creates, polls, responses, tasks by status and in-flight", async () => {
    const time = manualClock();
    const sim = await startTestSimulator({ clock: time.clock, timeScale: 0.01 });
    const a = await createTask(sim, img2videoBody("a [sim:duration=10]"));
    await createTask(sim, img2videoBody("b [sim:duration=100]"));
    await createTask(
      sim,
      {
        prompt: "c [sim:duration=10] [sim:fail]",
        image: "https://e.x/1.png",
        last_frame_image: "https://e.x/2.png",
      },
      LITE,
    );
    await postCreate(sim, IMG2VIDEO, { prompt: "" });
    await getTaskResult(sim, a);
    time.advance(100);
    await getTaskResult(sim, a);

    const stats = (await getJson(sim, "/__sim/stats")).json;
    expect(stats).toEqual({
      creates: {
        total: 4,
        accepted: 3,
        byEndpoint: { [IMG2VIDEO]: 2, [LITE]: 1 },
        duplicateBodies: 0,
        rejected: { "400": 1 },
      },
      polls: { total: 2 },
      downloads: { total: 0, expired: 0 },
      responses: { "200": 5, "400": 1 },
      tasks: { QUEUED: 0, PROCESSING: 1, SUCCEED: 1, FAILED: 1 },
      inFlight: 1,
      maxInFlightSeen: 3,
    });
  });

  it("reset-stats zeroes counters but keeps tasks", async () => {
    const sim = await startTestSimulator();
    await createTask(sim);
    expect((await postJson(sim, "/__sim/reset-stats", {})).status).toBe(200);
    const stats = sim.stats();
    expect(stats.creates.total).toBe(0);
    expect(stats.responses).toEqual({});
    expect(stats.tasks.QUEUED).toBe(1);
    expect(stats.maxInFlightSeen).toBe(1);
  });

  it("GET /__sim/tasks lists tasks without any API key in them", async () => {
    const sim = await startTestSimulator();
    const taskId = await createTask(sim);
    const answer = await getJson(sim, "/__sim/tasks");
    expect(answer.json).toEqual([
      expect.objectContaining({
        taskId,
        endpoint: IMG2VIDEO,
        status: "QUEUED",
        polls: 0,
        finishedAtMs: null,
        finalObservedAtMs: null,
        detectionLagSeconds: null,
        files: [],
      }),
    ]);
    expect(answer.text).not.toContain("sim-key");
  });
});
