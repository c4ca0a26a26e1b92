import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { createLogger } from "@veoq/logging";
import { DelayedError, type Job, UnrecoverableError } from "bullmq";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { itemTraceSchema } from "../src/jobs/job-data.ts";
import type { PipelineContext } from "../src/stages/pipeline-context.ts";
import { NO_TRACING } from "../src/stages/pipeline-observer.ts";
import { FinalFailure, ItemFailure, stageProcessor } from "../src/stages/stage-processor.ts";
import type { ItemResult } from "../src/store/item-states.ts";

const schema = z.object({
  batchId: z.string(),
  customId: z.string(),
  model: z.string(),
  submission: z.number(),
  trace: itemTraceSchema,
  hasMetadata: z.literal(false),
});
type Data = z.infer<typeof schema>;
const data: Data = {
  batchId: "b1",
  customId: "a",
  model: "m",
  submission: 0,
  trace: { enqueuedAt: 1, taskIds: ["t1"], submitAttempts: 1, polls: 0 },
  hasMetadata: false,
};

/** A stage wrapper around `handler` whose item records and log lines are captured. */
function wrapped(handler: (data: Data) => Promise<unknown>) {
  const finished: ItemResult[] = [];
  const lines: { level: number; msg: string; errorKind?: string }[] = [];
  const context = {
    logger: createLogger({
      level: "warn",
      destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
    }),
    tracer: NO_TRACING,
    now: () => 10,
    observer: {},
    settings: { accountItemEvents: [] },
    store: {
      itemState: async () => "processing",
      finishItem: async (result: ItemResult) => void finished.push(result),
    },
  } as unknown as PipelineContext;
  const processor = stageProcessor(context, "poll", schema, (run) => handler(run.data));
  const run = (attemptsMade: number, attempts = 3) =>
    processor({ id: "j1", data, attemptsMade, opts: { attempts }, timestamp: 1 } as Job);
  return { run, finished, lines };
}

describe("one failure protocol: the stage wrapper alone ends an item that failed", () => {
  it("an ItemFailure fails the item at once, whatever attempts are left, with one log line", async () => {
    const stage = wrapped(async (d) => {
      throw new ItemFailure(
        { ...d, trace: { ...d.trace, polls: 4 } },
        { stage: "poll", kind: "task_failed", message: "bad prompt", jobMessage: "task t1 failed" },
      );
    });
    const thrown = await stage.run(0).catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(FinalFailure);
    expect(thrown).toBeInstanceOf(UnrecoverableError); // BullMQ fails the job for good
    expect((thrown as Error).message).toBe("task t1 failed");
    expect(stage.finished).toHaveLength(1);
    expect(stage.finished[0]).toMatchObject({
      status: "failed",
      errorKind: "task_failed",
      errorMessage: "bad prompt",
      failedStage: "poll",
      polls: 4, // the item as the processor knew it
    });
    expect(stage.lines).toEqual([
      expect.objectContaining({ level: 50, msg: "item failed at poll: bad prompt" }),
    ]);
  });

  it("a retryable error goes back to BullMQ untouched before the last attempt, and ends the item on it", async () => {
    const error = new Error("socket hang up");
    const stage = wrapped(async () => {
      throw error;
    });
    await expect(stage.run(1)).rejects.toBe(error);
    expect(stage.finished).toEqual([]);
    expect(stage.lines).toEqual([]);

    const last = await stage.run(2).catch((e: unknown) => e);
    expect(last).toBeInstanceOf(FinalFailure);
    expect((last as Error).message).toBe("socket hang up");
    expect(stage.finished).toMatchObject([
      { status: "failed", errorKind: "internal", failedStage: "poll" },
    ]);
    expect(stage.lines).toHaveLength(1);
  });

  it("lets moves through on the last attempt: a re-delay is not a failure", async () => {
    const stage = wrapped(async () => {
      throw new DelayedError();
    });
    await expect(stage.run(2)).rejects.toBeInstanceOf(DelayedError);
    expect(stage.finished).toEqual([]);
  });

  it("is the only place that decides the last attempt or records a failure", () => {
    const src = path.join(import.meta.dirname, "..", "src");
    const files = readdirSync(src, { recursive: true, encoding: "utf8" })
      .filter((name) => name.endsWith(".ts"))
      .map((name) => ({ name, text: readFileSync(path.join(src, name), "utf8") }));
    const deciding = files.filter((f) => /opts\.attempts\b|isLastAttempt\(/.test(f.text));
    expect(deciding.map((f) => f.name)).toEqual([path.join("stages", "stage-processor.ts")]);
    const recording = files.filter((f) => /recordItemFailure\(/.test(f.text));
    // Defined and called in one module: the wrapper records final failures alone.
    expect(recording.map((f) => f.name)).toEqual([path.join("stages", "stage-processor.ts")]);
    expect(files.filter((f) => /new WeakSet<Job>/.test(f.text))).toEqual([]);
  });
});
