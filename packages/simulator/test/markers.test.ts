import { describe, expect, it } from "vitest";
import { PERMANENT_FAILURE_REASONS, TRANSIENT_FAILURE_REASONS } from "../src/failure-reasons.ts";
import {
  createTask,
  getTaskResult,
  img2videoBody,
  manualClock,
  startTestSimulator,
} from "./simulator-harness.ts";

async function finalTaskOf(taskIds: string[], sim: Awaited<ReturnType<typeof startTestSimulator>>) {
  return Promise.all(taskIds.map(async (id) => (await getTaskResult(sim, id)).result.task));
}

describe("failure markers and rate", () => {
  it("[sim:fail-once]: the first task for a body fails transiently, later ones succeed", async () => {
    const time = manualClock();
    const sim = await startTestSimulator({ clock: time.clock, timeScale: 0.01 });
    const body = img2videoBody("retry me [sim:fail-once] [sim:duration=1]");
    const first = await createTask(sim, body);
    const second = await createTask(sim, body);
    const otherBody = await createTask(
      sim,
      img2videoBody("other [sim:fail-once] [sim:duration=1]"),
    );
    time.advance(10);
    const [a, b, c] = await finalTaskOf([first, second, otherBody], sim);
    expect(a?.status).toBe("TASK_STATUS_FAILED");
    expect(TRANSIENT_FAILURE_REASONS).toContain(a?.reason);
    expect(b).toMatchObject({ status: "TASK_STATUS_SUCCEED", reason: "" });
    expect(c?.status).toBe("TASK_STATUS_FAILED");
  });

  it("[sim:fail]: every task fails with a permanent reason and no videos", async () => {
    const time = manualClock();
    const sim = await startTestSimulator({ clock: time.clock, timeScale: 0.01 });
    const body = img2videoBody("nope [sim:fail] [sim:duration=1]");
    const ids = [await createTask(sim, body), await createTask(sim, body)];
    time.advance(10);
    for (const id of ids) {
      const { result } = await getTaskResult(sim, id);
      expect(result.task.status).toBe("TASK_STATUS_FAILED");
      expect(PERMANENT_FAILURE_REASONS).toContain(result.task.reason);
      expect(result.videos).toEqual([]);
    }
    expect(sim.tasks().map((task) => task.files)).toEqual([[], []]);
  });

  it("failureRate 1 fails every task; 0 fails none", async () => {
    const time = manualClock();
    const sim = await startTestSimulator({ clock: time.clock, timeScale: 0.01, failureRate: 1 });
    const failing = await createTask(sim, img2videoBody("x [sim:duration=1]"));
    sim.setFaults({ failureRate: 0 });
    const passing = await createTask(sim, img2videoBody("y [sim:duration=1]"));
    time.advance(10);
    const [a, b] = await finalTaskOf([failing, passing], sim);
    expect(a?.status).toBe("TASK_STATUS_FAILED");
    expect(a?.reason).not.toBe("");
    expect(b?.status).toBe("TASK_STATUS_SUCCEED");
  });

  it("failureRate's random failures give transient-looking reasons as well as permanent ones", async () => {
    const time = manualClock();
    const sim = await startTestSimulator({ clock: time.clock, timeScale: 0.01, failureRate: 1 });
    const ids: string[] = [];
    for (let i = 0; i < 24; i++)
      ids.push(await createTask(sim, img2videoBody(`r${i} [sim:duration=1]`)));
    time.advance(10);
    const reasons = (await finalTaskOf(ids, sim)).map((task) => task?.reason ?? "");
    expect(reasons.filter((r) => TRANSIENT_FAILURE_REASONS.includes(r)).length).toBeGreaterThan(0);
    expect(reasons.filter((r) => PERMANENT_FAILURE_REASONS.includes(r)).length).toBeGreaterThan(0);
  });

  it("a random permanent failure sticks to its request (as a policy rejection does); a transient one does not", async () => {
    const time = manualClock();
    const sim = await startTestSimulator({ clock: time.clock, timeScale: 0.01, failureRate: 1 });
    const bodies = Array.from({ length: 24 }, (_, i) => img2videoBody(`s${i} [sim:duration=1]`));
    const first: string[] = [];
    for (const body of bodies) first.push(await createTask(sim, body));
    time.advance(10);
    const reasons = (await finalTaskOf(first, sim)).map((task) => task?.reason ?? "");
    const permanent = reasons.findIndex((r) => PERMANENT_FAILURE_REASONS.includes(r));
    const transient = reasons.findIndex((r) => TRANSIENT_FAILURE_REASONS.includes(r));
    expect(permanent).toBeGreaterThanOrEqual(0);
    expect(transient).toBeGreaterThanOrEqual(0);
    sim.setFaults({ failureRate: 0 });
    const again = [
      await createTask(sim, bodies[permanent] as ReturnType<typeof img2videoBody>),
      await createTask(sim, bodies[transient] as ReturnType<typeof img2videoBody>),
    ];
    time.advance(10);
    const [refused, rendered] = await finalTaskOf(again, sim);
    expect(refused).toMatchObject({ status: "TASK_STATUS_FAILED", reason: reasons[permanent] });
    expect(rendered?.status).toBe("TASK_STATUS_SUCCEED");
  });
});
