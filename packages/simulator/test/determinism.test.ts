import { describe, expect, it } from "vitest";
import type { SimulatorOverrides } from "../src/options.ts";
import {
  createTask,
  IMG2VIDEO,
  img2videoBody,
  manualClock,
  postCreate,
  startTestSimulator,
} from "./simulator-harness.ts";

async function runScript(options: SimulatorOverrides) {
  const time = manualClock();
  const sim = await startTestSimulator({
    clock: time.clock,
    instanceId: "fixed",
    timeScale: 0.01,
    failureRate: 0.3,
    serverErrorRate: 0.2,
    ...options,
  });
  const answers: number[] = [];
  for (let i = 0; i < 30; i += 1) {
    answers.push((await postCreate(sim, IMG2VIDEO, img2videoBody(`video ${i}`))).status);
  }
  time.advance(10_000_000);
  const tasks = sim.tasks().map(({ taskId, durationSeconds, status, reason }) => ({
    taskId,
    durationSeconds,
    status,
    reason,
  }));
  return { answers, tasks };
}

describe("determinism", () => {
  it("replays the same run (ids, durations, outcomes, injected errors) under the same seed", async () => {
    const first = await runScript({ seed: 42 });
    const second = await runScript({ seed: 42 });
    expect(second).toEqual(first);
    expect(first.answers.some((status) => status >= 500)).toBe(true);
    expect(first.tasks.some((task) => task.status === "FAILED")).toBe(true);
  });

  it("differs under another seed", async () => {
    const first = await runScript({ seed: 42 });
    const other = await runScript({ seed: 43 });
    expect(other).not.toEqual(first);
  });

  it("samples durations inside the endpoint's range", async () => {
    const sim = await startTestSimulator({
      durations: { [IMG2VIDEO]: { minSeconds: 60, maxSeconds: 180 } },
    });
    for (let i = 0; i < 20; i += 1) await createTask(sim, img2videoBody(`v${i}`));
    for (const task of sim.tasks()) {
      expect(task.durationSeconds).toBeGreaterThanOrEqual(60);
      expect(task.durationSeconds).toBeLessThanOrEqual(180);
    }
  });

  it("gives tasks of different simulator instances different ids by default", async () => {
    const a = await startTestSimulator();
    const b = await startTestSimulator();
    expect(await createTask(a)).not.toBe(await createTask(b));
  });
});
