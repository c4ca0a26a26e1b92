import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { ItemResult, ResultLine } from "@veoq/pipeline";
import { PERMANENT_FAILURE_REASONS, type SimulatedTask } from "@veoq/simulator";

/** What the checks look at, gathered once every item is final (or the time limit passed). */
export interface ChaosEvidence {
  /** Jobs enqueued. */
  jobs: number;
  /** One line per item of the batch (`batchResults`). */
  lines: readonly ResultLine[];
  /** Every task the simulator created. */
  simulatorTasks: readonly SimulatedTask[];
  /** Creates the simulator accepted (made a task), including those whose answer was dropped. */
  acceptedCreates: number;
  /** The workers' VEOQ_OUTPUT_DIR. */
  outputDir: string;
  /** Reads a saved file back (from the bucket with VEOQ_OUTPUT_URL); default: from outputDir. */
  readSavedFile?: (saved: { path: string; uri?: string | undefined }) => Promise<Buffer>;
  /** The workers' VEOQ_MAX_RESUBMITS: new tasks allowed after a transient task failure. */
  maxResubmits: number;
  /** The workers' VEOQ_SUBMIT_CONCURRENCY: creates one worker process may have in flight. */
  submitConcurrency: number;
  /** Worker processes. */
  workers: number;
  workerKills: number;
  redisKills: number;
  /** Workers that died without being killed. */
  unexpectedExits: number;
  /** The batch's count of creates sent but unanswered (each may have made a task). */
  possibleDuplicates: number;
  /** Provider slots at the end, or undefined when the pipeline has no `readProviderSlots`. */
  slots: { inUse: number; cap: number } | undefined;
  /** Whether the time limit passed before every item was final. */
  timedOut: boolean;
}

export type CheckStatus = "pass" | "fail" | "n/a";

/** One row of the chaos table. */
export interface ChaosCheck {
  /** Stable key, e.g. "files-match". */
  id: string;
  /** What is checked, as printed. */
  name: string;
  status: CheckStatus;
  /** The figure, e.g. "1000 / 1000". */
  value: string;
  /** What the figure is compared with, or why it failed. */
  detail: string;
}

/** Something wrong with one item: each is a pipeline defect to look into. */
export interface ItemDefect {
  customId: string;
  problem: string;
}

export interface ChaosFindings {
  checks: ChaosCheck[];
  defects: ItemDefect[];
  figures: {
    completed: number;
    failed: number;
    notFinal: number;
    missing: number;
    /** Failed items whose last task failed with a permanent reason. */
    failedPermanent: number;
    /** Failed items whose tasks all failed transiently until the re-submission budget ran out. */
    failedBudget: number;
    filesChecked: number;
    bytesChecked: number;
    /** Distinct task ids recorded in the items' results. */
    recordedTasks: number;
    /** Tasks the simulator created that no result records: created more than once. */
    unrecordedTasks: number;
    /** Most unrecorded tasks the kills, Redis' restart and ambiguous creates can explain. */
    duplicateBound: number;
  };
}

function sha256Of(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

const PERMANENT = new Set(PERMANENT_FAILURE_REASONS);

/**
 * Checks a finished chaos run: nothing lost, nothing stuck, failures only where the provider
 * failed the work for good, every saved file byte-identical to what the provider served, and
 * no more tasks paid twice than crashes and unanswered creates can explain.
 */
export async function checkChaosRun(evidence: ChaosEvidence): Promise<ChaosFindings> {
  const defects: ItemDefect[] = [];
  const tasks = new Map(evidence.simulatorTasks.map((task) => [task.taskId, task]));
  const recorded = new Set<string>();
  let completed = 0;
  let failed = 0;
  let notFinal = 0;
  let failedPermanent = 0;
  let failedBudget = 0;
  let filesChecked = 0;
  let bytesChecked = 0;
  let fileMismatches = 0;
  let badFailures = 0;
  const seen = new Set<string>();

  for (const line of evidence.lines) {
    if (seen.has(line.customId)) {
      defects.push({ customId: line.customId, problem: "listed twice in the batch" });
    }
    seen.add(line.customId);
    if (line.status !== "completed" && line.status !== "failed") {
      notFinal++;
      defects.push({ customId: line.customId, problem: `not final: still ${line.status}` });
      continue;
    }
    for (const taskId of line.taskIds) recorded.add(taskId);
    const unknown = line.taskIds.filter((taskId) => !tasks.has(taskId));
    if (unknown.length > 0) {
      defects.push({
        customId: line.customId,
        problem: `records task ids the provider never created: ${unknown.join(", ")}`,
      });
    }
    // Every task but the last must have FAILED with a transient reason: only that earns a new task.
    for (const taskId of line.taskIds.slice(0, -1)) {
      const task = tasks.get(taskId);
      if (task && (task.status !== "FAILED" || PERMANENT.has(task.reason))) {
        defects.push({
          customId: line.customId,
          problem: `re-submitted after task ${taskId} ended ${task.status}${task.reason ? ` (${task.reason})` : ""}`,
        });
      }
    }
    if (line.status === "completed") {
      completed++;
      const mismatch = await checkCompletedItem(line, tasks, evidence, defects);
      filesChecked += mismatch.filesChecked;
      bytesChecked += mismatch.bytesChecked;
      if (mismatch.bad) fileMismatches++;
    } else {
      failed++;
      const verdict = judgeFailedItem(line, tasks, evidence.maxResubmits);
      if (verdict === "permanent") failedPermanent++;
      else if (verdict === "budget") failedBudget++;
      else {
        badFailures++;
        defects.push({ customId: line.customId, problem: verdict });
      }
    }
  }
  const missing = Math.max(0, evidence.jobs - seen.size);
  if (missing > 0) {
    defects.push({ customId: "(batch)", problem: `${missing} enqueued items have no record` });
  }

  const unrecordedTasks = Math.max(0, evidence.acceptedCreates - recorded.size);
  const duplicateBound =
    evidence.possibleDuplicates +
    (evidence.workerKills + evidence.unexpectedExits) * evidence.submitConcurrency +
    evidence.redisKills * evidence.workers * evidence.submitConcurrency;
  const unknownRecorded = [...recorded].filter((taskId) => !tasks.has(taskId)).length;

  const checks: ChaosCheck[] = [
    {
      id: "all-final",
      name: "every job final",
      status: notFinal === 0 && missing === 0 && !evidence.timedOut ? "pass" : "fail",
      value: `${completed + failed} / ${evidence.jobs}`,
      detail: evidence.timedOut
        ? `time limit exceeded with ${notFinal + missing} items not final`
        : notFinal > 0
          ? `${notFinal} items not final`
          : "completed or failed",
    },
    {
      id: "none-lost",
      name: "none lost",
      status: completed + failed === evidence.jobs && seen.size === evidence.jobs ? "pass" : "fail",
      value: `${completed} + ${failed} = ${completed + failed}`,
      detail: `completed + failed = N (${evidence.jobs})`,
    },
    {
      id: "failures-legit",
      name: "failures only where the provider failed for good",
      status: badFailures === 0 ? "pass" : "fail",
      value: `${failed - badFailures} / ${failed}`,
      detail: `${failedPermanent} permanent reason, ${failedBudget} re-submission budget (${evidence.maxResubmits}) spent${badFailures > 0 ? `, ${badFailures} NOT explained` : ""}`,
    },
    {
      id: "files-match",
      name: "files match the provider's bytes (sha256)",
      status: fileMismatches === 0 && unknownRecorded === 0 ? "pass" : "fail",
      value: `${filesChecked} files`,
      detail: `${(bytesChecked / 1024 / 1024).toFixed(1)} MiB of ${completed} completed items${fileMismatches > 0 ? `; ${fileMismatches} items mismatch` : ""}${unknownRecorded > 0 ? `; ${unknownRecorded} recorded task ids unknown to the provider` : ""}`,
    },
    {
      id: "duplicate-tasks",
      name: "tasks created more than once",
      status: unrecordedTasks <= duplicateBound ? "pass" : "fail",
      value: String(unrecordedTasks),
      detail: `${evidence.acceptedCreates} created - ${recorded.size} recorded; at most ${duplicateBound} explained (${evidence.possibleDuplicates} possible duplicates + ${evidence.workerKills + evidence.unexpectedExits} worker deaths x ${evidence.submitConcurrency} + ${evidence.redisKills} Redis kill x ${evidence.workers * evidence.submitConcurrency})`,
    },
    evidence.slots === undefined
      ? {
          id: "slots-released",
          name: "provider slots released",
          status: "n/a",
          value: "n/a",
          detail: "the pipeline has no readProviderSlots",
        }
      : {
          id: "slots-released",
          name: "provider slots released",
          status: evidence.slots.inUse === 0 ? "pass" : "fail",
          value: `${evidence.slots.inUse} in use`,
          detail: `effective cap ${Math.round(evidence.slots.cap * 10) / 10}`,
        },
    {
      id: "workers-up",
      name: "workers died only when killed",
      status: evidence.unexpectedExits === 0 ? "pass" : "fail",
      value: `${evidence.unexpectedExits} unexpected exits`,
      detail: `${evidence.workerKills} SIGKILLs, ${evidence.redisKills} Redis SIGKILL`,
    },
  ];

  return {
    checks,
    defects,
    figures: {
      completed,
      failed,
      notFinal,
      missing,
      failedPermanent,
      failedBudget,
      filesChecked,
      bytesChecked,
      recordedTasks: recorded.size,
      unrecordedTasks,
      duplicateBound,
    },
  };
}

/**
 * Why a failed item failed: "permanent" (its last task FAILED with a permanent reason),
 * "budget" (every task FAILED, and re-submissions were used up), or what is wrong.
 */
export function judgeFailedItem(
  line: ItemResult,
  tasks: ReadonlyMap<string, SimulatedTask>,
  maxResubmits: number,
): "permanent" | "budget" | string {
  const where = `failed at ${line.failedStage ?? "?"} with ${line.errorKind ?? "?"}: ${line.errorMessage ?? ""}`;
  if (line.errorKind !== "task_failed") return where;
  const lastId = line.taskIds.at(-1);
  if (lastId === undefined) return `${where} (no task recorded)`;
  for (const taskId of line.taskIds) {
    const task = tasks.get(taskId);
    if (!task) return `${where} (task ${taskId} unknown to the provider)`;
    if (task.status !== "FAILED") {
      return `${where} (task ${taskId} is ${task.status} at the provider)`;
    }
  }
  const last = tasks.get(lastId) as SimulatedTask;
  if (PERMANENT.has(last.reason)) return "permanent";
  if (line.submission >= maxResubmits) return "budget";
  return `${where} (transient reason "${last.reason}" after ${line.submission} of ${maxResubmits} re-submissions)`;
}

async function checkCompletedItem(
  line: ItemResult,
  tasks: ReadonlyMap<string, SimulatedTask>,
  evidence: ChaosEvidence,
  defects: ItemDefect[],
): Promise<{ bad: boolean; filesChecked: number; bytesChecked: number }> {
  const outcome = { bad: false, filesChecked: 0, bytesChecked: 0 };
  const fail = (problem: string) => {
    outcome.bad = true;
    defects.push({ customId: line.customId, problem });
  };
  const lastId = line.taskIds.at(-1);
  const task = lastId === undefined ? undefined : tasks.get(lastId);
  if (lastId === undefined || !task) {
    fail(`completed, but its last task ${lastId ?? "(none)"} is unknown to the provider`);
    return outcome;
  }
  if (task.status !== "SUCCEED") fail(`completed, but task ${lastId} is ${task.status}`);
  if (line.files.length !== task.files.length) {
    fail(`${line.files.length} files saved, the task made ${task.files.length}`);
  }
  for (const served of task.files) {
    const saved = line.files.find((file) => file.index === served.index);
    if (!saved) {
      fail(`video ${served.index} of task ${lastId} not saved`);
      continue;
    }
    const expected = served.sha256;
    let onDisk: Buffer;
    try {
      onDisk = await (evidence.readSavedFile?.(saved) ??
        readFile(path.join(evidence.outputDir, saved.path)));
    } catch (error) {
      fail(`${saved.path}: cannot read (${(error as NodeJS.ErrnoException).code ?? error})`);
      continue;
    }
    outcome.filesChecked++;
    outcome.bytesChecked += onDisk.length;
    const actual = sha256Of(onDisk);
    if (actual !== expected) {
      fail(
        `${saved.path}: sha256 ${actual.slice(0, 12)}… on disk, provider served ${expected.slice(0, 12)}…`,
      );
    } else if (saved.sha256 !== expected) {
      fail(
        `${saved.path}: result records sha256 ${saved.sha256.slice(0, 12)}…, file is ${expected.slice(0, 12)}…`,
      );
    }
  }
  return outcome;
}
