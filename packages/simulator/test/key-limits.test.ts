import { describe, expect, it } from "vitest";
import { parseKeySpecs } from "../src/index.ts";
import {
  createTask,
  getJson,
  getTaskResult,
  IMG2VIDEO,
  img2videoBody,
  manualClock,
  postCreate,
  startTestSimulator,
} from "./simulator-harness.ts";

const body = (prompt: string) => img2videoBody(`${prompt} [sim:duration=100]`);

describe("per-key limits (veoq mock --keys)", () => {
  it("parses the --keys list and names a bad entry", () => {
    expect(parseKeySpecs("sim-a:cap=10:rpm=50,sim-b:cap=5, sim-c:cap=5:credit=20")).toEqual({
      apiKeys: ["sim-a", "sim-b", "sim-c"],
      keyLimits: {
        "sim-a": { maxConcurrentTasks: 10, createsPerMinute: 50 },
        "sim-b": { maxConcurrentTasks: 5 },
        "sim-c": { maxConcurrentTasks: 5, credit: 20 },
      },
    });
    expect(parseKeySpecs("plain")).toEqual({ apiKeys: ["plain"], keyLimits: { plain: {} } });
    expect(() => parseKeySpecs("sim-a:cap=x")).toThrow(/sim-a: "cap=x" is not cap=N/);
    expect(() => parseKeySpecs("sim-a,sim-a")).toThrow(/names sim-a twice/);
    expect(() => parseKeySpecs(" , ")).toThrow(/holds no key/);
  });

  it("caps each key's tasks in flight on its own", async () => {
    const time = manualClock();
    const sim = await startTestSimulator({
      clock: time.clock,
      ...parseKeySpecs("sim-a:cap=2,sim-b:cap=1"),
    });
    await createTask(sim, body("a1"), IMG2VIDEO, "sim-a");
    await createTask(sim, body("a2"), IMG2VIDEO, "sim-a");
    const third = await postCreate(sim, IMG2VIDEO, body("a3"), "sim-a");
    expect(third.status).toBe(429);
    expect(third.json).toMatchObject({ message: "too many concurrent tasks" });
    await createTask(sim, body("b1"), IMG2VIDEO, "sim-b");
    expect((await postCreate(sim, IMG2VIDEO, body("b2"), "sim-b")).status).toBe(429);
    time.advance(200_000);
    await createTask(sim, body("a4"), IMG2VIDEO, "sim-a");
  });

  it("paces each key's creates per minute, with Retry-After", async () => {
    const time = manualClock();
    const sim = await startTestSimulator({
      clock: time.clock,
      ...parseKeySpecs("sim-a:rpm=6,sim-b"),
    });
    await createTask(sim, body("a1"), IMG2VIDEO, "sim-a");
    const early = await postCreate(sim, IMG2VIDEO, body("a2"), "sim-a");
    expect(early.status).toBe(429);
    expect(early.json).toMatchObject({ message: "rate limit exceeded" });
    expect(early.headers.get("retry-after")).toBe("10");
    // Another key is not slowed by sim-a's pace.
    await createTask(sim, body("b1"), IMG2VIDEO, "sim-b");
    await createTask(sim, body("b2"), IMG2VIDEO, "sim-b");
    time.advance(10_000);
    await createTask(sim, body("a3"), IMG2VIDEO, "sim-a");
  });

  it("answers 402 once a key's credit is used up; its tasks are still served", async () => {
    const sim = await startTestSimulator({ ...parseKeySpecs("sim-a,sim-c:credit=2") });
    const first = await createTask(sim, body("c1"), IMG2VIDEO, "sim-c");
    await createTask(sim, body("c2"), IMG2VIDEO, "sim-c");
    const broke = await postCreate(sim, IMG2VIDEO, body("c3"), "sim-c");
    expect(broke.status).toBe(402);
    expect(broke.json).toMatchObject({ code: 402, message: "insufficient balance" });
    expect((await getTaskResult(sim, first, "sim-c")).status).toBe(200);
    // Each key is its own account: another key does not see the task.
    expect((await getTaskResult(sim, first, "sim-a")).status).toBe(404);
    await createTask(sim, body("a1"), IMG2VIDEO, "sim-a");
  });

  it("splits creates, refusals and in-flight by key in /__sim/stats", async () => {
    const sim = await startTestSimulator({ ...parseKeySpecs("sim-a:cap=1,sim-b:credit=0") });
    await createTask(sim, body("a1"), IMG2VIDEO, "sim-a");
    await postCreate(sim, IMG2VIDEO, body("a2"), "sim-a");
    await postCreate(sim, IMG2VIDEO, body("b1"), "sim-b");
    await postCreate(sim, IMG2VIDEO, body("x"), "unknown-key");
    const stats = (await getJson(sim, "/__sim/stats")).json as Record<string, unknown>;
    expect(stats.by_key).toEqual({
      "sim-a": { accepted: 1, rejected: { "429": 1 }, inFlight: 1 },
      "sim-b": { accepted: 0, rejected: { "402": 1 }, inFlight: 0 },
    });
    expect(stats.creates).toMatchObject({
      accepted: 1,
      rejected: { "429": 1, "402": 1, "401": 1 },
    });
  });

  it("has no by_key without --keys", async () => {
    const sim = await startTestSimulator();
    await createTask(sim);
    expect(sim.stats()).not.toHaveProperty("by_key");
  });
});
