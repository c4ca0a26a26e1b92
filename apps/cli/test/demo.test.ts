import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { batchJson, batchSpendJson } from "@veoq/report";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./run-cli.ts";

/**
 * The environment a person pastes into: `pnpm` on PATH (a shim running the workspace's pnpm
 * through npx when this machine has none), no REDIS_URL.
 */
function pasteEnvironment(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (spawnSync("pnpm", ["--version"], { env: base }).status === 0) return base;
  const bin = join(dir, "bin");
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, "pnpm"), '#!/bin/sh\nexec npx -y pnpm@10.34.9 "$@"\n');
  chmodSync(join(bin, "pnpm"), 0o755);
  return { ...base, PATH: `${bin}${delimiter}${base.PATH ?? ""}` };
}

/** Runs a pasted line in a shell in `cwd`, to its end. */
function runPasted(line: string, cwd: string, env: NodeJS.ProcessEnv) {
  const result = spawnSync("sh", ["-c", line], { cwd, env, encoding: "utf8", timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const dir = mkdtempSync(join(tmpdir(), "veoq-demo-test-"));
// The demo starts its own redis-server unless REDIS_URL is set.
const { REDIS_URL: _ignored, ...env } = process.env;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The `veoq demo --keep` line the first test's demo printed last. */
let pastedDemo: string | undefined;

describe("veoq demo", () => {
  it("shows one planned failure with its reason and the retry flow, exits 0, and two demos at once share no Redis data", async () => {
    const [human, json] = await Promise.all([
      runCli(["demo", "--out", join(dir, "a")], { env, cwd: dir }),
      runCli(["demo", "--out", join(dir, "b"), "--json"], { env, cwd: dir }),
    ]);
    expect(human.code).toBe(0);
    expect(json.code).toBe(0);

    const out = human.stdout;
    expect(out).toMatch(/failed {5}1 item:/);
    expect(out).toMatch(/i2v-07 +task_failed +\S.*\(planned: \[sim:fail\] marker\)/);
    expect(out).toContain("expected   1 item failed on purpose");
    // The last line is a command that works when pasted (see the next test, which runs it).
    expect(out).toMatch(/next {7}1 item failed: to see why and retry, run the demo again/);
    const lastLine = out.trimEnd().split("\n").at(-1) ?? "";
    expect(lastLine).toMatch(/^ {2}cd \S+ && pnpm veoq demo --keep --out \S+$/);
    pastedDemo = lastLine.trim();

    const summary = JSON.parse(json.stdout);
    expect(batchJson.parse(summary.batch)).toMatchObject({
      total: 13,
      finished: true,
      counts: { completed: 12, failed: 1 },
    });
    // The demo shows money: an estimate of what it enqueued, and spent split by kind of create.
    const spend = batchSpendJson.parse(summary.spend);
    expect(spend.estimate_tasks).toBe(13);
    expect(spend.estimate.amount).toBeGreaterThan(0);
    expect(spend.spent_by_kind.first_creates.creates).toBe(13);
    expect(out).toMatch(/money {6}estimate \d+\.\d\d USD \(13 tasks\) {2}spent \d+\.\d\d USD/);
    expect(out).toContain("prices unverified");
    expect(summary.failed_items).toEqual([
      expect.objectContaining({ custom_id: "i2v-07", error_kind: "task_failed", planned: true }),
    ]);

    const dataDir = (text: string) => /AOF on, data in (\S+)\)/.exec(text)?.[1];
    expect(dataDir(human.stdout)).toBeDefined();
    expect(dataDir(json.stderr)).toBeDefined();
    expect(dataDir(human.stdout)).not.toBe(dataDir(json.stderr));
  });

  it("prints, as its last lines, commands that work when pasted: the demo with --keep, then status, results and retry against its Redis until Ctrl-C", async () => {
    expect(pastedDemo).toBeDefined();
    const pasteEnv = pasteEnvironment(env);
    // The pasted demo runs in a shell of its own process group, as in a terminal.
    const demo = spawn("sh", ["-c", pastedDemo as string], {
      cwd: dir,
      env: { ...pasteEnv, NO_COLOR: "1" },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    demo.stdout.on("data", (chunk) => {
      output += chunk;
    });
    demo.stderr.on("data", (chunk) => {
      output += chunk;
    });
    const exited = new Promise<void>((resolve) => demo.on("close", () => resolve()));
    let redisPort = 0;
    try {
      const deadline = Date.now() + 120_000;
      while (!output.includes("Press Ctrl-C to stop.")) {
        if (Date.now() > deadline || demo.exitCode !== null) {
          throw new Error(`the pasted demo did not wait for Ctrl-C:\n${output}`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      const pasteable = output
        .split("\n")
        .filter((line) => /^ {2}\S.* pnpm veoq (status|results|retry) /.test(line))
        .map((line) => line.trim());
      expect(pasteable).toEqual([
        // The pasted `cd <checkout> && …` left the shell in the checkout: no `cd` any more.
        expect.stringMatching(/^REDIS_URL=redis:\/\/127\.0\.0\.1:\d+ pnpm veoq status demo-\S+$/),
        expect.stringMatching(/ pnpm veoq results demo-\S+ --status failed$/),
        expect.stringMatching(/ pnpm veoq retry demo-\S+$/),
      ]);
      redisPort = Number(/127\.0\.0\.1:(\d+) /.exec(pasteable[0] ?? "")?.[1]);
      const checkout = /^cd (\S+) && /.exec(pastedDemo as string)?.[1] as string;
      const [status, results] = pasteable.map((line) => runPasted(line, checkout, pasteEnv));
      expect(status?.code, status?.stderr).toBe(0);
      expect(status?.stdout).toMatch(/demo-\S+ .*13\/13 final/);
      expect(results?.code, results?.stderr).toBe(0);
      expect(results?.stdout).toContain('"custom_id":"i2v-07"');
    } finally {
      // Ctrl-C: SIGINT to the foreground process group.
      if (demo.pid !== undefined && demo.exitCode === null) process.kill(-demo.pid, "SIGINT");
    }
    // Ctrl-C stops it all: the demo's Redis no longer answers.
    const stopped = await Promise.race([
      exited.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 60_000)),
    ]);
    if (!stopped && demo.pid !== undefined) process.kill(-demo.pid, "SIGKILL");
    expect(stopped, `the pasted demo did not stop within 60 s of Ctrl-C:\n${output}`).toBe(true);
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(redisPort, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(false);
      });
      socket.once("error", () => resolve(true));
    });
    expect(refused).toBe(true);
    // Each pasted line starts pnpm through npx when the machine has no pnpm: on a loaded CI
    // machine (turbo runs two packages' suites at once) the demo, its two pasted commands and
    // the stop take well over the suite's 90 s default, without anything being wrong.
  }, 240_000);
});
