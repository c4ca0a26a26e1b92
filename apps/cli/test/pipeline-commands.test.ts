import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Simulator, startSimulator } from "@veoq/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeTestKeys, simulatorTestEnv } from "./run-cli.ts";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const CLI = join(REPO_ROOT, "apps", "cli", "bin", "veoq-sources.js");
const DEMO_MANIFEST = join(REPO_ROOT, "examples", "demo", "manifest.jsonl");

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

describe("pipeline commands (enqueue, worker, status, results, retry, resume)", () => {
  const prefix = `{veoq-cli-${randomBytes(4).toString("hex")}}`;
  const dir = mkdtempSync(join(tmpdir(), "veoq-cli-"));
  let simulator: Simulator;
  let env: NodeJS.ProcessEnv;
  let worker: ChildProcess | undefined;

  const run = (args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliResult> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        [CLI, ...args],
        { cwd: REPO_ROOT, env: { ...env, ...extraEnv } },
        (error, stdout, stderr) => {
          const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
          resolve({ code, stdout, stderr });
        },
      );
    });

  beforeAll(async () => {
    simulator = await startSimulator({ timeScale: 0.01 });
    env = simulatorTestEnv(prefix, simulator.url, dir);
  });

  afterAll(async () => {
    worker?.kill("SIGKILL");
    await simulator.close();
    await removeTestKeys(env.REDIS_URL, prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it("enqueues a manifest once, processes it with `veoq worker`, and reports status and results", async () => {
    const first = await run(["enqueue", DEMO_MANIFEST, "--batch", "cli1", "--json"]);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({
      batch_id: "cli1",
      added: 13,
      already_present: 0,
      enqueued: true,
    });
    const again = await run(["enqueue", DEMO_MANIFEST, "--batch", "cli1"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("batch cli1: 0 added, 13 already enqueued");
    // The same requests under another batch id: reported, and (see below) reused, not paid.
    const copy = await run(["enqueue", DEMO_MANIFEST, "--batch", "cli1-copy", "--json"]);
    expect(copy.code).toBe(0);
    expect(JSON.parse(copy.stdout)).toMatchObject({ added: 13, reused: { lines: 13 } });

    worker = spawn(process.execPath, [CLI, "worker", "--concurrency", "8"], {
      cwd: REPO_ROOT,
      env,
      stdio: "ignore",
    });
    const status = await run(["status", "cli1", "--watch", "--json"]);
    expect(status.code).toBe(0);
    const snapshots = status.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const last = snapshots.at(-1);
    // The one line that carries `[sim:fail]` (i2v-07) fails for good; the rest complete.
    expect(last.batches[0]).toMatchObject({ batch_id: "cli1", total: 13, finished: true });
    expect(last.batches[0].counts).toMatchObject({ completed: 12, failed: 1 });

    const human = await run(["status", "cli1"]);
    expect(human.stdout).toMatch(/cli1 +\[#+\] +100% {2}13\/13 final/);

    const results = await run(["results", "cli1"]);
    const rows = results.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows).toHaveLength(13);
    const multi = rows.find((r) => r.custom_id === "i2v-05");
    expect(multi).toMatchObject({
      status: "completed",
      error_kind: null,
      metadata: { scene: 5, team: "demo" },
    });
    expect(multi.files).toHaveLength(4);
    expect(multi.files[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    const flaky = rows.find((r) => r.custom_id === "i2v-03");
    expect(flaky.task_ids).toHaveLength(2);
    const copyStatus = await run(["status", "cli1-copy", "--watch", "--json"]);
    expect(copyStatus.code).toBe(0);
    const copied = (await run(["results", "cli1-copy"])).stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const copiedMulti = copied.find((r) => r.custom_id === "i2v-05");
    expect(copiedMulti.reused_from).toEqual({ batch_id: "cli1", custom_id: "i2v-05" });
    expect(copiedMulti.task_ids).toEqual([]);
    expect(copiedMulti.files.map((f: { sha256: string }) => f.sha256)).toEqual(
      multi.files.map((f: { sha256: string }) => f.sha256),
    );
    // i2v-07 failed in cli1, so its copy renders itself; every other line reuses cli1's render.
    for (const row of copied) {
      if (row.custom_id === "i2v-07") {
        expect(row.task_ids).toHaveLength(1);
        expect(row.reused_from).toBeUndefined();
      } else {
        expect(row).toMatchObject({ status: "completed", task_ids: [] });
      }
    }
    const cli1Tasks = rows.reduce((n, r) => n + r.task_ids.length, 0);
    expect(simulator.stats().creates.accepted).toBe(cli1Tasks + 1);

    // i2v-07's content-policy failure would fail again: retry leaves it alone unless asked.
    const retry = await run(["retry", "cli1"]);
    expect(retry.code).toBe(0);
    expect(retry.stdout).toContain("i2v-07  will fail again  task_failed: ");
    expect(retry.stdout).toContain("nothing to retry");
    const included = await run(["retry", "cli1", "--include-permanent", "--yes"]);
    expect(included.code).toBe(0);
    expect(included.stdout).toContain("1 failed item re-queued");

    const resume = await run(["resume"]);
    expect(resume.stdout).toContain("submit queue was not paused");

    worker.kill("SIGTERM");
    const [code] = await once(worker, "exit");
    expect(code).toBe(0);
    worker = undefined;
  });

  it("refuses to enqueue a manifest with an invalid line, naming it, and enqueues nothing", async () => {
    const bad = join(dir, "bad.jsonl");
    writeFileSync(
      bad,
      `${JSON.stringify({ custom_id: "x", model: "veo-3.1-lite-firstlastframe", input: { prompt: "p", image: "https://e.x/a.png", last_frame_image: "https://e.x/b.png", duration_seconds: 8 } })}\n`,
    );
    const result = await run(["enqueue", bad, "--batch", "cli-bad"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      'bad.jsonl:1 x input.duration_seconds: unknown field "duration_seconds"; did you mean "duration"?',
    );
    expect(result.stdout).toContain("nothing enqueued");
    const status = await run(["status", "cli-bad"]);
    expect(status.code).toBe(2);
    expect(status.stderr).toContain('no batch "cli-bad"');
  });

  it("fails fast with one clear line when Redis is unreachable or the config is wrong", async () => {
    const unreachable = await run(["status"], { REDIS_URL: "redis://127.0.0.1:1" });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(
      /cannot reach Redis at redis:\/\/127\.0\.0\.1:1\/? \(REDIS_URL\)/,
    );

    const badEnv = await run(["worker"], { VEOQ_MAX_IN_FLIGHT: "lots" });
    expect(badEnv.code).toBe(2);
    expect(badEnv.stderr).toContain("VEOQ_MAX_IN_FLIGHT must be a number");

    const noKey = await run(["worker"], { JIEKOU_API_KEY: "" });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain("JIEKOU_API_KEY is required");
  });
});
