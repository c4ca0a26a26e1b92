import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromMicros, loadPriceTable, requestCost } from "@veoq/pricing";
import { retryJson, statusJson } from "@veoq/report";
import { type Simulator, startSimulator } from "@veoq/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, DEMO_DIR, REPO_ROOT, removeTestKeys, runCli, simulatorTestEnv } from "./run-cli.ts";

const prefix = `{veoq-retry-${randomBytes(4).toString("hex")}}`;
const dir = mkdtempSync(join(tmpdir(), "veoq-retry-"));
let simulator: Simulator;
let env: NodeJS.ProcessEnv;
let worker: ChildProcess | undefined;

const MODEL = "veo-3.1-generate-img2video";
const line = (customId: string, prompt: string) =>
  JSON.stringify({
    custom_id: customId,
    model: MODEL,
    input: {
      prompt,
      image: join(DEMO_DIR, "images", "scene.jpg"),
      generate_audio: false,
      duration_seconds: 4,
    },
  });

/** What re-submitting "flaky" costs by the shipped price table (720p, no audio, 4 s). */
const RESUBMIT_COST = fromMicros(
  requestCost(loadPriceTable(undefined), MODEL, {
    prompt: "p",
    generate_audio: false,
    duration_seconds: 4,
  }).costMicros,
);

/**
 * One failure of each kind a retry treats differently: a transient task failure (re-submitted:
 * paid), a timed-out poll (polled again: free), a content-policy failure (left alone).
 */
const MANIFEST = [
  line("ok", "a calm lake [sim:duration=1]"),
  line("flaky", "a fox in the snow [sim:fail-once] [sim:duration=1]"),
  line("slow", "a very long shot [sim:duration=100000]"),
  line("banned", "a doomed shot [sim:fail] [sim:duration=1]"),
].join("\n");

/** Runs `veoq retry ARGS` on a pseudo-terminal (through `script`), typing `answer` at its prompt. */
function retryOnTerminal(args: string, answer: string): Promise<{ code: number; out: string }> {
  const child = spawn(
    "script",
    ["-qfec", `exec ${process.execPath} ${CLI} retry ${args}`, "/dev/null"],
    {
      cwd: REPO_ROOT,
      env,
    },
  );
  let out = "";
  let answered = false;
  child.stdout.on("data", (chunk) => {
    out += chunk;
    if (!answered && out.includes("[y/N]")) {
      answered = true;
      child.stdin.write(`${answer}\r`);
    }
  });
  return new Promise((resolve) =>
    child.on("close", (code) => resolve({ code: code ?? -1, out: out.replaceAll("\r", "") })),
  );
}

async function batchCounts() {
  const status = statusJson.parse(
    JSON.parse((await runCli(["status", "r1", "--json"], { env })).stdout),
  );
  return status.batches[0]?.counts;
}

beforeAll(async () => {
  simulator = await startSimulator({ timeScale: 0.01 });
  env = {
    ...simulatorTestEnv(prefix, simulator.url, dir),
    // No automatic re-submission, so the transient failure stays failed for `retry` to plan.
    VEOQ_MAX_RESUBMITS: "0",
    VEOQ_POLL_DEADLINE_SECONDS: "60",
  };
  const manifest = join(dir, "retry.jsonl");
  writeFileSync(manifest, `${MANIFEST}\n`);
  expect((await runCli(["enqueue", manifest, "--batch", "r1"], { env })).code).toBe(0);
  worker = spawn(process.execPath, [CLI, "worker", "--concurrency", "4"], { env, stdio: "ignore" });
  expect((await runCli(["status", "r1", "--watch", "--json"], { env })).code).toBe(0);
  worker.kill("SIGTERM");
  await once(worker, "exit");
  worker = undefined;
  expect(await batchCounts()).toMatchObject({ completed: 1, failed: 3 });
}, 120_000);

afterAll(async () => {
  if (worker !== undefined) {
    worker.kill("SIGKILL");
    await once(worker, "exit");
  }
  await simulator?.close();
  await removeTestKeys(env.REDIS_URL, prefix);
  rmSync(dir, { recursive: true, force: true });
});

describe("veoq retry", () => {
  it("off a terminal without --yes: does the free re-poll, refuses to pay (exit 2) and says how to agree; --json in the shared schema", async () => {
    const result = await runCli(["retry", "r1", "--json"], { env });
    expect(result.code).toBe(2);
    const json = retryJson.parse(JSON.parse(result.stdout));
    expect(json).toEqual({
      batch_id: "r1",
      outcome: "free_only",
      retried: 1,
      skipped: [],
      left_unpaid: 1,
      plan: {
        batch_id: "r1",
        failed: 3,
        resubmit: 1,
        repoll: 1,
        redownload: 0,
        resubmits_by_model: { [MODEL]: 1 },
        estimated_cost: { amount: RESUBMIT_COST, currency: "USD" },
        budget_check: null,
        permanent: 1,
        include_permanent: false,
        skipped_total: 1,
        skipped: [
          {
            custom_id: "banned",
            skip: "permanent",
            error_kind: "task_failed",
            reason: expect.any(String),
          },
        ],
      },
    });
    // --json: the JSON alone on stdout; on stderr only the refusal, not the human plan.
    expect(result.stderr).toBe(
      "veoq: retry would re-submit 1 item (paid) and there is no terminal to confirm on: only the free re-polls and re-downloads were re-queued; run it again with --yes to agree to pay\n",
    );
    // The timed-out task is polled again; the paid re-submission was not made.
    expect(await batchCounts()).toMatchObject({ failed: 2, processing: 1 });

    // Nothing free left: nothing re-queued, the same refusal.
    const again = await runCli(["retry", "r1"], { env });
    expect(again.code).toBe(2);
    expect(again.stdout).toContain("batch r1: 2 failed items; retry will");
    expect(again.stdout).toMatch(
      new RegExp(
        `re-submit +1 +paid: a new provider task each \\(veo-3\\.1-generate-img2video × 1; estimated ${RESUBMIT_COST.toFixed(2)} USD\\)`,
      ),
    );
    expect(again.stdout).toMatch(/leave alone +1\n +banned {2}will fail again {2}task_failed: /);
    // A budget the re-submission would pass: the plan says so before anything is paid.
    expect((await runCli(["budget", "r1", "0.01"], { env })).code).toBe(0);
    const capped = await runCli(["retry", "r1"], { env });
    expect(capped.stdout).toMatch(
      / {4}REACHES the budget of 0\.01 USD \(spent and reserved \d+\.\d\d USD \+ this retry = \d+\.\d\d USD\): the batch pauses by its budget part-way/,
    );
    const cappedJson = retryJson.parse(
      JSON.parse((await runCli(["retry", "r1", "--json"], { env })).stdout),
    );
    expect(cappedJson.plan.budget_check).toMatchObject({
      budget: { amount: 0.01 },
      reaches_budget: true,
    });
    expect((await runCli(["budget", "r1", "1000"], { env })).code).toBe(0);
    expect((await runCli(["retry", "r1"], { env })).stdout).toContain(
      "stays within the budget of 1000.00 USD",
    );
    expect(again.stdout).toContain("--include-permanent re-submits it (paid)");
    expect(again.stderr).toBe(
      "veoq: retry would re-submit 1 item (paid) and there is no terminal to confirm on: nothing was re-queued; run it again with --yes to agree to pay\n",
    );
    expect(await batchCounts()).toMatchObject({ failed: 2, processing: 1 });
    const included = retryJson.parse(
      JSON.parse((await runCli(["retry", "r1", "--json", "--include-permanent"], { env })).stdout),
    );
    expect(included).toMatchObject({
      outcome: "not_confirmed",
      retried: 0,
      left_unpaid: 2,
      plan: { resubmit: 2, skipped_total: 0, include_permanent: true },
    });
  });

  it("on a terminal asks first: a no re-queues nothing", async () => {
    const declined = await retryOnTerminal("r1", "n");
    expect(declined.out).toContain("re-queue 1 item (1 paid)? [y/N]");
    expect(declined.out).toContain("nothing re-queued");
    expect(declined.code).toBe(0);
    expect(await batchCounts()).toMatchObject({ failed: 2 });
  });

  it("on a terminal, a yes re-queues the planned items and leaves the permanent failure alone", async () => {
    const agreed = await retryOnTerminal("r1", "y");
    expect(agreed.out).toContain("batch r1: 1 failed item re-queued");
    expect(agreed.code).toBe(0);
    expect(await batchCounts()).toMatchObject({ failed: 1, queued: 1, processing: 1 });
  });

  it("without a terminal, free re-polls go ahead unasked; paying needs --yes", async () => {
    // The re-submission completes, the re-polled task times out again, `banned` stays failed.
    worker = spawn(process.execPath, [CLI, "worker", "--concurrency", "4"], {
      env,
      stdio: "ignore",
    });
    expect((await runCli(["status", "r1", "--watch", "--json"], { env })).code).toBe(0);
    worker.kill("SIGTERM");
    await once(worker, "exit");
    worker = undefined;
    expect(await batchCounts()).toMatchObject({ completed: 2, failed: 2 });

    const free = await runCli(["retry", "r1"], { env });
    expect(free.code).toBe(0);
    expect(free.stdout).toMatch(/re-submit +0/);
    expect(free.stdout).toContain("batch r1: 1 failed item re-queued");
    expect(await batchCounts()).toMatchObject({ failed: 1, processing: 1 });

    const refused = await runCli(["retry", "r1", "--include-permanent"], { env });
    expect(refused.code).toBe(2);
    expect(await batchCounts()).toMatchObject({ failed: 1 });
    const paid = await runCli(["retry", "r1", "--include-permanent", "--yes", "--json"], { env });
    expect(paid.code).toBe(0);
    expect(retryJson.parse(JSON.parse(paid.stdout))).toMatchObject({
      outcome: "retried",
      retried: 1,
      plan: { resubmit: 1, include_permanent: true },
    });
    expect(await batchCounts()).toMatchObject({ failed: 0, queued: 1 });
  });
});
