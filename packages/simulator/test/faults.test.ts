import { describe, expect, it } from "vitest";
import {
  createTask,
  getJson,
  getTaskResult,
  IMG2VIDEO,
  img2videoBody,
  KEY,
  manualClock,
  postCreate,
  postJson,
  startTestSimulator,
} from "./simulator-harness.ts";

describe("rate limit", () => {
  it("answers 429 with Retry-After once the burst is spent, and recovers as tokens refill", async () => {
    const time = manualClock();
    const sim = await startTestSimulator({
      clock: time.clock,
      rateLimit: { requestsPerSecond: 1, burst: 2, retryAfterSeconds: 3 },
    });
    const taskId = await createTask(sim);
    expect((await getTaskResult(sim, taskId)).status).toBe(200);
    const limited = await getTaskResult(sim, taskId);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("3");
    expect(limited.json).toEqual({ code: 429, message: "rate limit exceeded" });
    time.advance(1000);
    expect((await getTaskResult(sim, taskId)).status).toBe(200);
  });

  it("with scope creates, counts only creates: polls pass however many", async () => {
    const time = manualClock();
    const sim = await startTestSimulator({
      clock: time.clock,
      rateLimit: { requestsPerSecond: 1, burst: 1, scope: "creates" },
    });
    const taskId = await createTask(sim);
    for (let i = 0; i < 3; i++) expect((await getTaskResult(sim, taskId)).status).toBe(200);
    expect((await postCreate(sim, IMG2VIDEO, img2videoBody())).status).toBe(429);
    time.advance(1000);
    expect((await postCreate(sim, IMG2VIDEO, img2videoBody())).status).toBe(200);
  });

  it("keeps one bucket per key", async () => {
    const time = manualClock();
    const sim = await startTestSimulator({
      clock: time.clock,
      apiKeys: ["a", "b"],
      rateLimit: { requestsPerSecond: 1, burst: 1 },
    });
    expect((await postCreate(sim, IMG2VIDEO, img2videoBody(), "a")).status).toBe(200);
    expect((await postCreate(sim, IMG2VIDEO, img2videoBody(), "a")).status).toBe(429);
    expect((await postCreate(sim, IMG2VIDEO, img2videoBody(), "b")).status).toBe(200);
  });
});

describe("concurrency cap", () => {
  it("refuses creates beyond maxConcurrentTasks per key until a task finishes", async () => {
    const time = manualClock();
    const sim = await startTestSimulator({
      clock: time.clock,
      timeScale: 0.01,
      apiKeys: ["a", "b"],
      maxConcurrentTasks: 2,
    });
    const body = img2videoBody("[sim:duration=10]");
    await createTask(sim, body, IMG2VIDEO, "a");
    await createTask(sim, body, IMG2VIDEO, "a");
    const capped = await postCreate(sim, IMG2VIDEO, body, "a");
    expect(capped.status).toBe(429);
    expect(capped.json).toEqual({ code: 429, message: "too many concurrent tasks" });
    expect(capped.headers.get("retry-after")).toMatch(/^\d+$/);
    expect((await postCreate(sim, IMG2VIDEO, body, "b")).status).toBe(200);
    time.advance(100);
    expect((await postCreate(sim, IMG2VIDEO, body, "a")).status).toBe(200);
    expect(sim.stats().maxInFlightSeen).toBe(3);
  });
});

describe("injected failures", () => {
  it("serverErrorRate 1 answers 5xx before any effect", async () => {
    const sim = await startTestSimulator({ serverErrorRate: 1 });
    const answer = await postCreate(sim, IMG2VIDEO, img2videoBody());
    expect([500, 502, 503]).toContain(answer.status);
    expect(answer.json).toMatchObject({ code: answer.status });
    expect(sim.tasks()).toEqual([]);
    sim.setFaults({ serverErrorRate: 0 });
    expect((await postCreate(sim, IMG2VIDEO, img2videoBody())).status).toBe(200);
  });

  it("dropConnectionRate 1 destroys the socket without creating a task", async () => {
    const sim = await startTestSimulator({ dropConnectionRate: 1 });
    await expect(postCreate(sim, IMG2VIDEO, img2videoBody())).rejects.toThrow();
    expect(sim.tasks()).toEqual([]);
    expect(sim.stats().creates.rejected).toEqual({ dropped: 1 });
    expect(sim.stats().responses).toEqual({ dropped: 1 });
  });

  it("dropAfterCreateRate 1 creates the task, then destroys the socket", async () => {
    const sim = await startTestSimulator({ dropAfterCreateRate: 1 });
    await expect(postCreate(sim, IMG2VIDEO, img2videoBody())).rejects.toThrow();
    expect(sim.tasks()).toHaveLength(1);
    expect(sim.stats().creates).toMatchObject({ total: 1, accepted: 1, rejected: {} });
  });

  it("invalidJsonRate 1 answers 200 with a body that is not JSON and creates nothing", async () => {
    const sim = await startTestSimulator({ invalidJsonRate: 1 });
    const answer = await postCreate(sim, IMG2VIDEO, img2videoBody());
    expect(answer.status).toBe(200);
    expect(answer.json).toBeUndefined();
    expect(sim.tasks()).toEqual([]);
  });

  it("missingTaskIdRate 1 answers 200 JSON without task_id and creates nothing", async () => {
    const sim = await startTestSimulator({ missingTaskIdRate: 1 });
    const answer = await postCreate(sim, IMG2VIDEO, img2videoBody());
    expect(answer.status).toBe(200);
    expect(answer.json).not.toHaveProperty("task_id");
    expect(sim.tasks()).toEqual([]);
    expect(sim.stats().creates.rejected).toEqual({ "missing-task-id": 1 });
  });

  it("htmlFileRate 1 serves text/html instead of the video", async () => {
    const time = manualClock();
    const sim = await startTestSimulator({ clock: time.clock, timeScale: 0.01, htmlFileRate: 1 });
    const taskId = await createTask(sim, img2videoBody("[sim:duration=1]"));
    time.advance(10);
    const url = (await getTaskResult(sim, taskId)).result.videos[0]?.video_url ?? "";
    const html = await fetch(url);
    expect(html.status).toBe(200);
    expect(html.headers.get("content-type")).toMatch(/^text\/html/);
    sim.setFaults({ htmlFileRate: 0 });
    expect((await fetch(url)).headers.get("content-type")).toBe("video/mp4");
  });

  it("fileErrorRate 1 answers file downloads 503 (a transient fault), 0 serves the video", async () => {
    const time = manualClock();
    const sim = await startTestSimulator({ clock: time.clock, timeScale: 0.01, fileErrorRate: 1 });
    const taskId = await createTask(sim, img2videoBody("[sim:duration=1]"));
    time.advance(10);
    const url = (await getTaskResult(sim, taskId)).result.videos[0]?.video_url ?? "";
    const busy = await fetch(url);
    expect(busy.status).toBe(503);
    expect(await busy.json()).toMatchObject({ message: "file storage busy, please retry" });
    sim.setFaults({ fileErrorRate: 0 });
    const video = await fetch(url);
    expect(video.status).toBe(200);
    expect(video.headers.get("content-type")).toBe("video/mp4");
  });

  it("latency still answers correctly", async () => {
    const sim = await startTestSimulator({ latencyMs: { min: 1, max: 5 } });
    expect((await postCreate(sim, IMG2VIDEO, img2videoBody())).status).toBe(200);
  });

  it("counts a create whose client left during the latency as refused, so the counts add up", async () => {
    const sim = await startTestSimulator({ latencyMs: { min: 300, max: 300 } });
    const abort = new AbortController();
    const request = fetch(`${sim.url}/v3/async/${IMG2VIDEO}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
      body: JSON.stringify(img2videoBody()),
      signal: abort.signal,
    });
    // Leave once the simulator holds the request (it is in its injected latency).
    while (sim.stats().creates.total === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    abort.abort();
    await expect(request).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(sim.tasks()).toEqual([]);
    expect(sim.stats().creates).toMatchObject({
      total: 1,
      accepted: 0,
      rejected: { "client-gone": 1 },
    });
  });
});

describe("runtime faults", () => {
  it("POST /__sim/faults changes faults without a key and reports the result", async () => {
    const sim = await startTestSimulator();
    const changed = await postJson(sim, "/__sim/faults", {
      serverErrorRate: 1,
      rateLimit: { burst: 5 },
    });
    expect(changed.status).toBe(200);
    expect(changed.json).toMatchObject({
      serverErrorRate: 1,
      rateLimit: { requestsPerSecond: 0, burst: 5, retryAfterSeconds: 1, scope: "all" },
    });
    expect((await postCreate(sim, IMG2VIDEO, img2videoBody())).status).toBeGreaterThanOrEqual(500);
    expect((await getJson(sim, "/__sim/faults")).json).toMatchObject({ serverErrorRate: 1 });
    await postJson(sim, "/__sim/faults", { serverErrorRate: 0 });
    expect((await postCreate(sim, IMG2VIDEO, img2videoBody())).status).toBe(200);
  });

  it("POST /__sim/faults refuses invalid values and unknown fields, keeping the old faults", async () => {
    const sim = await startTestSimulator();
    const bad = await postJson(sim, "/__sim/faults", { serverErrorRate: 2 });
    expect(bad.status).toBe(400);
    expect((bad.json as { message: string }).message).toContain("serverErrorRate");
    expect((await postJson(sim, "/__sim/faults", { port: 1 })).status).toBe(400);
    expect((await postCreate(sim, IMG2VIDEO, img2videoBody())).status).toBe(200);
  });

  it("setFaults throws on invalid values", async () => {
    const sim = await startTestSimulator();
    expect(() => sim.setFaults({ failureRate: -0.5 })).toThrow(/failureRate/);
  });

  it("exhaustedKeys can be changed at runtime", async () => {
    const sim = await startTestSimulator();
    sim.setFaults({ exhaustedKeys: ["sim-key"] });
    expect((await postCreate(sim, IMG2VIDEO, img2videoBody())).status).toBe(402);
  });
});
