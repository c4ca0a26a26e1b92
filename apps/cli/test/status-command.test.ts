import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { batchJson, statusJson } from "@veoq/report";
import { type Simulator, startSimulator } from "@veoq/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, DEMO_DIR, REPO_ROOT, removeTestKeys, runCli, simulatorTestEnv } from "./run-cli.ts";

const MANIFEST = join(DEMO_DIR, "manifest.jsonl");
const prefix = `{veoq-status-${randomBytes(4).toString("hex")}}`;
const dir = mkdtempSync(join(tmpdir(), "veoq-status-"));
let simulator: Simulator;
let env: NodeJS.ProcessEnv;
let worker: ChildProcess | undefined;
/** What `status s1 --watch` wrote to a terminal (through `script`, which gives it a tty). */
let watched = "";

/** Runs `veoq status s1 --watch` with a pseudo-terminal of 80 columns as its stdout. */
function watchOnTerminal(): Promise<string> {
  const command = `stty cols 80 2>/dev/null; exec ${process.execPath} ${CLI} status s1 --watch`;
  const child = spawn("script", ["-qfec", command, "/dev/null"], { cwd: REPO_ROOT, env });
  let out = "";
  child.stdout.on("data", (chunk) => {
    out += chunk;
  });
  return new Promise((resolve) => child.on("close", () => resolve(out)));
}

beforeAll(async () => {
  simulator = await startSimulator({ timeScale: 0.01 });
  env = simulatorTestEnv(prefix, simulator.url, dir);
  expect((await runCli(["enqueue", MANIFEST, "--batch", "s1"], { env })).code).toBe(0);
  expect((await runCli(["enqueue", MANIFEST, "--batch", "other"], { env })).code).toBe(0);
  const watching = watchOnTerminal();
  worker = spawn(process.execPath, [CLI, "worker", "--concurrency", "8"], {
    env,
    stdio: "ignore",
  });
  watched = await watching;
  const done = await runCli(["status", "other", "--watch", "--json"], { env });
  expect(done.code).toBe(0);
}, 120_000);

afterAll(async () => {
  worker?.kill("SIGKILL");
  await simulator?.close();
  await removeTestKeys(env.REDIS_URL, prefix);
  rmSync(dir, { recursive: true, force: true });
});

const ESC = String.fromCharCode(27);
/** Cursor up N lines: how --watch returns to the top of its previous frame. */
const CURSOR_UP = new RegExp(`${ESC}\\[\\d+A`);
const CLEAR_LINE = `${ESC}[2K`;

describe("veoq status", () => {
  it("--watch on a terminal redraws in place, within its width, with an ETA and the next step", () => {
    expect(watched).toMatch(CURSOR_UP);
    expect(watched).toContain(CLEAR_LINE); // each line cleared, not the screen
    expect(watched).not.toContain(`${ESC}[2J`);
    expect(watched).toMatch(/ETA (–|\d)/);
    const frames = watched.split(CURSOR_UP);
    const last = (frames.at(-1) ?? "").replaceAll(CLEAR_LINE, "").replaceAll("\r", "");
    expect(last).toContain("s1  [");
    expect(last).toContain("1 failed: `veoq results s1 --status failed`, `veoq retry s1`");
    for (const line of last.split("\n")) expect(line.length).toBeLessThanOrEqual(80);
  });

  it("shows only the named batch, cut to the width, ending with the next step", async () => {
    const text = await runCli(["status", "s1"], { env: { ...env, COLUMNS: "60" } });
    expect(text.code).toBe(0);
    const lines = text.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^s1 {2}\[#+\] 100% {2}13\/13 final/);
    expect(text.stdout).not.toContain("other");
    expect(text.stdout).not.toContain("queue submit");
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(60);
    expect(lines.at(-1)).toMatch(/^ {2}1 failed: `veoq results s1 --status failed`/);

    const everything = await runCli(["status"], { env });
    expect(everything.stdout).toContain("other  [");
    expect(everything.stdout).toContain("queue submit");
  });

  it("stops the elapsed time and the throughput at the batch's finish", async () => {
    const first = statusJson.parse(
      JSON.parse((await runCli(["status", "s1", "--json"], { env })).stdout),
    );
    const second = statusJson.parse(
      JSON.parse((await runCli(["status", "s1", "--json"], { env })).stdout),
    );
    expect(first.queues).toBeUndefined();
    const [a] = first.batches.map((b) => batchJson.parse(b));
    const [b] = second.batches;
    expect(a?.finished).toBe(true);
    expect(a?.eta_seconds).toBeNull();
    const finishedAt = Date.parse(a?.finished_at ?? "");
    const createdAt = Date.parse(a?.created_at ?? "");
    expect(a?.elapsed_seconds).toBe((finishedAt - createdAt) / 1000);
    expect(b?.elapsed_seconds).toBe(a?.elapsed_seconds);
    expect(b?.items_per_second).toBe(a?.items_per_second);
  });

  it("results --status filters by state", async () => {
    const failed = await runCli(["results", "s1", "--status", "failed"], { env });
    const rows = failed.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      custom_id: "i2v-07",
      status: "failed",
      error_kind: "task_failed",
    });
    const wrong = await runCli(["results", "s1", "--status", "done"], { env });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("completed, failed");
  });
});
