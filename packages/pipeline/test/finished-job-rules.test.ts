import { afterEach, describe, expect, it } from "vitest";
import {
  enqueueManifest,
  KEEP_COMPLETED,
  KEEP_COMPLETED_SUBMIT,
  KEEP_FAILED,
} from "../src/index.ts";
import { createHarness, type Harness, liteLine } from "./pipeline-harness.ts";

describe("finished jobs' removal rules", () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it("are the workers' options, not copied into every queued job", async () => {
    h = await createHarness();
    await enqueueManifest({
      manifestPath: await h.writeManifest([liteLine("a")]),
      batchId: "b1",
      queues: h.queues,
      store: h.store,
      submitAttempts: 1,
    });
    const [job] = await h.queues.submit.getPrioritized(0, -1);
    expect(job?.opts.removeOnComplete).toBeUndefined();
    expect(job?.opts.removeOnFail).toBeUndefined();
    const running = await h.start();
    const rules = Object.fromEntries(
      running.workers.map((w) => [w.name, [w.opts.removeOnComplete, w.opts.removeOnFail]]),
    );
    expect(rules).toEqual({
      [h.queues.submit.name]: [KEEP_COMPLETED_SUBMIT, KEEP_FAILED],
      [h.queues.poll.name]: [KEEP_COMPLETED, KEEP_FAILED],
      [h.queues.download.name]: [KEEP_COMPLETED, KEEP_FAILED],
    });
  });
});
