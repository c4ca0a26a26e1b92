import { describe, expect, it } from "vitest";
import {
  createTask,
  getTaskResult,
  IMG2VIDEO,
  img2videoBody,
  postCreate,
  startTestSimulator,
} from "./simulator-harness.ts";

describe("API key check", () => {
  it("accepts a listed key", async () => {
    const sim = await startTestSimulator({ apiKeys: ["k1", "k2"] });
    expect((await postCreate(sim, IMG2VIDEO, img2videoBody(), "k2")).status).toBe(200);
  });

  it("answers 401 without a key or with a wrong one, and creates nothing", async () => {
    const sim = await startTestSimulator();
    const missing = await postCreate(sim, IMG2VIDEO, img2videoBody(), null);
    expect(missing.status).toBe(401);
    expect(missing.json).toMatchObject({ code: 401, message: expect.any(String) });
    expect((await postCreate(sim, IMG2VIDEO, img2videoBody(), "wrong")).status).toBe(401);
    expect(sim.tasks()).toEqual([]);
    expect(sim.stats().creates.rejected).toEqual({ "401": 2 });
  });

  it("answers 402 to an exhausted key", async () => {
    const sim = await startTestSimulator({ apiKeys: ["ok", "broke"], exhaustedKeys: ["broke"] });
    const answer = await postCreate(sim, IMG2VIDEO, img2videoBody(), "broke");
    expect(answer.status).toBe(402);
    expect(answer.json).toMatchObject({ code: 402 });
    expect((await postCreate(sim, IMG2VIDEO, img2videoBody(), "ok")).status).toBe(200);
  });

  it("checks the key on task-result too, and never echoes it", async () => {
    const sim = await startTestSimulator();
    const taskId = await createTask(sim);
    const wrong = await getTaskResult(sim, taskId, "secret-wrong-key");
    expect(wrong.status).toBe(401);
    expect(wrong.text).not.toContain("secret-wrong-key");
    expect((await getTaskResult(sim, taskId, null)).status).toBe(401);
    expect((await getTaskResult(sim, taskId)).status).toBe(200);
  });
});
