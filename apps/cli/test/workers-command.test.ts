import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { statusJson, workersJson } from "@veoq/report";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, DEMO_DIR, removeTestKeys, runCli, simulatorTestEnv } from "./run-cli.ts";

// No simulator: nothing here is submitted (no submit worker runs), and the poll worker idles.
const prefix = `{veoq-workers-${randomBytes(4).toString("hex")}}`;
const dir = mkdtempSync(join(tmpdir(), "veoq-workers-"));
const env = simulatorTestEnv(prefix, "http://127.0.0.1:9", dir);
let worker: ChildProcess | undefined;

beforeAll(async () => {
  const enqueued = await runCli(["enqueue", join(DEMO_DIR, "manifest.jsonl"), "--batch", "w1"], {
    env,
  });
  expect(enqueued.code).toBe(0);
}, 60_000);

afterAll(async () => {
  worker?.kill("SIGKILL");
  await removeTestKeys(env.REDIS_URL, prefix);
  rmSync(dir, { recursive: true, force: true });
});

const workersNow = async () =>
  workersJson.parse(JSON.parse((await runCli(["workers", "--json"], { env })).stdout));
const statusNow = async () =>
  statusJson.parse(JSON.parse((await runCli(["status", "--json"], { env })).stdout));

describe("veoq workers and the waiting reason in status", () => {
  it("say plainly that no worker runs while the batch waits", async () => {
    const text = await runCli(["workers"], { env });
    expect(text.code).toBe(0);
    expect(text.stdout).toBe("no worker process is running (`veoq worker` starts one)\n");
    expect((await workersNow()).roles).toEqual({ submit: 0, poll: 0, download: 0 });

    const status = await statusNow();
    expect(status.workers).toEqual({ submit: 0, poll: 0, download: 0 });
    expect(status.batches[0]?.waiting_reason).toEqual({
      code: "no_worker",
      message: "no submit worker is running (13 item(s) queued)",
    });
    const statusText = await runCli(["status", "w1"], { env });
    expect(statusText.stdout).toContain(
      "!! waiting: no submit worker is running (13 item(s) queued)",
    );
  }, 60_000);

  it("list a running worker process with its roles, pid, version and concurrency; it leaves on SIGTERM", async () => {
    worker = spawn(
      process.execPath,
      [CLI, "worker", "--roles", "poll,download", "--concurrency", "3"],
      {
        env,
        stdio: "ignore",
      },
    );
    const pid = worker.pid;
    let listed = await workersNow();
    for (let i = 0; i < 100 && listed.workers.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 300));
      listed = await workersNow();
    }
    expect(listed.workers).toHaveLength(1);
    expect(listed.workers[0]).toMatchObject({
      pid,
      roles: ["poll", "download"],
      concurrency: { poll: 3, download: 3 },
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      last_job: null,
    });
    expect(listed.roles).toEqual({ submit: 0, poll: 1, download: 1 });
    const text = (await runCli(["workers"], { env })).stdout;
    expect(text).toContain(`:${pid}  poll×3,download×3  v`);
    expect(text).toContain("!! no submit worker is running: submit jobs wait until one starts");
    // The poll role is there now; the submit role still is not.
    expect((await statusNow()).batches[0]?.waiting_reason?.message).toBe(
      "no submit worker is running (13 item(s) queued)",
    );

    const exited = new Promise((resolve) => worker?.once("exit", resolve));
    worker.kill("SIGTERM");
    await exited;
    worker = undefined;
    expect((await workersNow()).workers).toEqual([]);
  }, 90_000);
});
