import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ItemResult, ResultLine } from "@veoq/pipeline";
import {
  PERMANENT_FAILURE_REASONS,
  type SimulatedTask,
  simulatedFileBytes,
  TRANSIENT_FAILURE_REASONS,
} from "@veoq/simulator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type ChaosEvidence, checkChaosRun } from "../src/check-chaos-run.ts";

const SIZE = 1024;
const VIDEO = { durationSeconds: 8, width: 1280, height: 720, audio: false };
const PERMANENT = PERMANENT_FAILURE_REASONS[0] as string;
const TRANSIENT = TRANSIENT_FAILURE_REASONS[0] as string;

function sha(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function task(taskId: string, status: SimulatedTask["status"], reason = "", samples = 1) {
  return {
    taskId,
    endpoint: "veo-3.1-lite-firstlastframe",
    status,
    reason,
    durationSeconds: 30,
    createdAtMs: 0,
    finishedAtMs: 1,
    polls: 1,
    finalObservedAtMs: 1,
    detectionLagSeconds: 0,
    files:
      status === "SUCCEED"
        ? Array.from({ length: samples }, (_, index) => {
            const bytes = simulatedFileBytes(taskId, index, VIDEO, SIZE);
            return { index, sha256: sha(bytes), bytes: bytes.length };
          })
        : [],
  } satisfies SimulatedTask;
}

function result(customId: string, overrides: Partial<ItemResult>): ItemResult {
  return {
    batchId: "chaos",
    customId,
    model: "veo-3.1-lite-firstlastframe",
    status: "completed",
    taskIds: [],
    files: [],
    errorKind: undefined,
    errorMessage: undefined,
    failedStage: undefined,
    failedJobId: undefined,
    submission: 0,
    submitAttempts: 1,
    polls: 1,
    enqueuedAt: 0,
    submittedAt: 0,
    finishedAt: 1,
    metadata: undefined,
    ...overrides,
  };
}

let outputDir: string;

/** Saves the provider's bytes of `taskId` video `index` as the item's file; returns its record. */
async function save(customId: string, taskId: string, index: number, corrupt = false) {
  const bytes = simulatedFileBytes(taskId, index, VIDEO, SIZE);
  const relative = path.join("chaos", customId, `${index}.mp4`);
  await mkdir(path.join(outputDir, "chaos", customId), { recursive: true });
  const written = corrupt ? Buffer.concat([bytes.subarray(0, -1), Buffer.from([0])]) : bytes;
  await writeFile(path.join(outputDir, relative), written);
  return { index, path: relative, bytes: bytes.length, sha256: sha(bytes) };
}

/** A healthy run: one completed item (2 videos), one failed for good, one re-submitted then done. */
async function healthyEvidence(): Promise<ChaosEvidence> {
  const tasks = [
    task("t-ok", "SUCCEED", "", 2),
    task("t-perm", "FAILED", PERMANENT),
    task("t-flaky-1", "FAILED", TRANSIENT),
    task("t-flaky-2", "SUCCEED"),
  ];
  const lines: ResultLine[] = [
    result("a", {
      taskIds: ["t-ok"],
      files: [await save("a", "t-ok", 0), await save("a", "t-ok", 1)],
    }),
    result("b", {
      status: "failed",
      taskIds: ["t-perm"],
      errorKind: "task_failed",
      errorMessage: PERMANENT,
      failedStage: "poll",
    }),
    result("c", {
      taskIds: ["t-flaky-1", "t-flaky-2"],
      submission: 1,
      files: [await save("c", "t-flaky-2", 0)],
    }),
  ];
  return {
    jobs: 3,
    lines,
    simulatorTasks: tasks,
    acceptedCreates: tasks.length,
    outputDir,
    maxResubmits: 2,
    submitConcurrency: 4,
    workers: 3,
    workerKills: 0,
    redisKills: 0,
    unexpectedExits: 0,
    possibleDuplicates: 0,
    slots: { inUse: 0, cap: 10 },
    timedOut: false,
  };
}

function statusOf(findings: Awaited<ReturnType<typeof checkChaosRun>>, id: string) {
  return findings.checks.find((check) => check.id === id)?.status;
}

beforeEach(async () => {
  outputDir = await mkdtemp(path.join(tmpdir(), "veoq-chaos-check-"));
});

afterEach(async () => {
  await rm(outputDir, { recursive: true, force: true });
});

describe("checkChaosRun", () => {
  it("passes a run where nothing was lost and every failure is the provider's", async () => {
    const findings = await checkChaosRun(await healthyEvidence());
    expect(findings.defects).toEqual([]);
    expect(findings.checks.map((check) => check.status)).toEqual([
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
      "pass",
    ]);
    expect(findings.figures).toMatchObject({
      completed: 2,
      failed: 1,
      failedPermanent: 1,
      filesChecked: 3,
      recordedTasks: 4,
      unrecordedTasks: 0,
    });
  });

  it("fails when an item is not final or missing", async () => {
    const evidence = await healthyEvidence();
    const stuck = {
      ...evidence,
      jobs: 4,
      lines: [
        ...evidence.lines,
        { batchId: "chaos", customId: "d", status: "processing" as const },
      ],
    };
    const findings = await checkChaosRun(stuck);
    expect(statusOf(findings, "all-final")).toBe("fail");
    expect(statusOf(findings, "none-lost")).toBe("fail");
    expect(findings.defects).toContainEqual({
      customId: "d",
      problem: "not final: still processing",
    });

    const lost = await checkChaosRun({ ...evidence, jobs: 5 });
    expect(statusOf(lost, "none-lost")).toBe("fail");
    expect(lost.figures.missing).toBe(2);
  });

  it("fails when the time limit was exceeded", async () => {
    const findings = await checkChaosRun({ ...(await healthyEvidence()), timedOut: true });
    expect(statusOf(findings, "all-final")).toBe("fail");
  });

  it("accepts a failure after the re-submission budget, not before it", async () => {
    const evidence = await healthyEvidence();
    const tasks = [
      ...evidence.simulatorTasks,
      task("t-x1", "FAILED", TRANSIENT),
      task("t-x2", "FAILED", TRANSIENT),
      task("t-x3", "FAILED", TRANSIENT),
    ];
    const failed = (submission: number, taskIds: string[]) =>
      result("x", {
        status: "failed",
        taskIds,
        submission,
        errorKind: "task_failed",
        errorMessage: TRANSIENT,
        failedStage: "poll",
      });
    const spent = await checkChaosRun({
      ...evidence,
      jobs: 4,
      acceptedCreates: tasks.length,
      simulatorTasks: tasks,
      lines: [...evidence.lines, failed(2, ["t-x1", "t-x2", "t-x3"])],
    });
    expect(statusOf(spent, "failures-legit")).toBe("pass");
    expect(spent.figures.failedBudget).toBe(1);

    const early = await checkChaosRun({
      ...evidence,
      jobs: 4,
      acceptedCreates: 5,
      simulatorTasks: tasks.slice(0, 5),
      lines: [...evidence.lines, failed(0, ["t-x1"])],
    });
    expect(statusOf(early, "failures-legit")).toBe("fail");
    expect(early.defects[0]?.problem).toMatch(/transient reason .* after 0 of 2 re-submissions/);
  });

  it("fails an item that failed for a reason other than a failed task", async () => {
    const evidence = await healthyEvidence();
    const findings = await checkChaosRun({
      ...evidence,
      jobs: 4,
      lines: [
        ...evidence.lines,
        result("y", {
          status: "failed",
          errorKind: "transient",
          errorMessage: "HTTP 503",
          failedStage: "submit",
        }),
      ],
    });
    expect(statusOf(findings, "failures-legit")).toBe("fail");
    expect(findings.defects).toContainEqual({
      customId: "y",
      problem: "failed at submit with transient: HTTP 503",
    });
  });

  it("fails when a file on disk differs from the provider's bytes", async () => {
    const evidence = await healthyEvidence();
    await save("a", "t-ok", 1, true);
    const findings = await checkChaosRun(evidence);
    expect(statusOf(findings, "files-match")).toBe("fail");
    expect(findings.defects[0]?.customId).toBe("a");
    expect(findings.defects[0]?.problem).toMatch(/sha256 .* on disk, provider served/);
  });

  it("fails when a video of the task was not saved", async () => {
    const evidence = await healthyEvidence();
    const first = evidence.lines[0] as ItemResult;
    const findings = await checkChaosRun({
      ...evidence,
      lines: [{ ...first, files: first.files.slice(0, 1) }, ...evidence.lines.slice(1)],
    });
    expect(statusOf(findings, "files-match")).toBe("fail");
  });

  it("flags a re-submission after a task that had succeeded", async () => {
    const evidence = await healthyEvidence();
    const tasks = evidence.simulatorTasks.map((t) =>
      t.taskId === "t-flaky-1" ? task("t-flaky-1", "SUCCEED") : t,
    );
    const findings = await checkChaosRun({ ...evidence, simulatorTasks: tasks });
    expect(findings.defects).toContainEqual({
      customId: "c",
      problem: "re-submitted after task t-flaky-1 ended SUCCEED",
    });
  });

  it("explains duplicate tasks by crashes and unanswered creates, up to a bound", async () => {
    const evidence = await healthyEvidence();
    const explained = await checkChaosRun({
      ...evidence,
      acceptedCreates: evidence.acceptedCreates + 5,
      workerKills: 1,
      possibleDuplicates: 1,
    });
    expect(explained.figures.unrecordedTasks).toBe(5);
    expect(explained.figures.duplicateBound).toBe(5);
    expect(statusOf(explained, "duplicate-tasks")).toBe("pass");

    const unexplained = await checkChaosRun({
      ...evidence,
      acceptedCreates: evidence.acceptedCreates + 6,
      workerKills: 1,
      possibleDuplicates: 1,
    });
    expect(statusOf(unexplained, "duplicate-tasks")).toBe("fail");
  });

  it("checks provider slots when they can be read, and says n/a otherwise", async () => {
    const evidence = await healthyEvidence();
    const leaked = await checkChaosRun({ ...evidence, slots: { inUse: 2, cap: 10 } });
    expect(statusOf(leaked, "slots-released")).toBe("fail");
    const unknown = await checkChaosRun({ ...evidence, slots: undefined });
    expect(statusOf(unknown, "slots-released")).toBe("n/a");
  });

  it("fails when a worker died without being killed", async () => {
    const findings = await checkChaosRun({ ...(await healthyEvidence()), unexpectedExits: 1 });
    expect(statusOf(findings, "workers-up")).toBe("fail");
  });
});
