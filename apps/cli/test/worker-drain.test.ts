import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Simulator, startSimulator } from "@veoq/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, DEMO_DIR, removeTestKeys, runCli } from "./run-cli.ts";

const prefix = `{veoq-drain-${randomBytes(4).toString("hex")}}`;
const dir = mkdtempSync(join(tmpdir(), "veoq-drain-"));
/** Every API request of the simulator hangs this long: a create is in flight at the SIGTERM. */
const CREATE_MS = 15_000;
let simulator: Simulator;
let env: NodeJS.ProcessEnv;
let worker: ChildProcess | undefined;

beforeAll(async () => {
  simulator = await startSimulator({
    timeScale: 0.01,
    latencyMs: { min: CREATE_MS, max: CREATE_MS },
  });
  env = {
    ...process.env,
    REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    VEOQ_PREFIX: prefix,
    JIEKOU_BASE_URL: simulator.url,
    JIEKOU_API_KEY: "sim-key",
    VEOQ_TIME_SCALE: "0.01",
    VEOQ_PROVIDER_RPM: "0",
    VEOQ_OUTPUT_DIR: join(dir, "out"),
    VEOQ_DRAIN_SECONDS: "1",
    LOG_LEVEL: "warn",
  };
});

afterAll(async () => {
  worker?.kill("SIGKILL");
  await simulator?.close();
  await removeTestKeys(env.REDIS_URL, prefix);
  rmSync(dir, { recursive: true, force: true });
});

describe("veoq worker on SIGTERM", () => {
  it("waits VEOQ_DRAIN_SECONDS for jobs in progress, then leaves them to stall recovery", async () => {
    const first = readFileSync(join(DEMO_DIR, "manifest.jsonl"), "utf8").split("\n")[0];
    const enqueued = await runCli(["enqueue", "-", "--batch", "drain"], {
      env,
      cwd: DEMO_DIR,
      stdin: `${first}\n`,
    });
    expect(enqueued.code, enqueued.stderr + enqueued.stdout).toBe(0);
    const proc = spawn(process.execPath, [CLI, "worker", "--json", "--metrics-port", "0"], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    worker = proc;
    let out = "";
    proc.stdout.on("data", (chunk) => {
      out += chunk;
    });
    proc.stderr.on("data", (chunk) => {
      out += chunk;
    });
    while (!out.includes("worker_started")) await new Promise((r) => setTimeout(r, 50));
    const metricsUrl = JSON.parse(
      out.split("\n").find((l) => l.includes("worker_started")) as string,
    ).metrics_url as string;
    // The create is in flight (the job is active) and the worker's loop is live.
    const activeSubmit = async () =>
      /veoq_queue_jobs\{queue="submit",state="active"\} 1/.test(
        await (await fetch(`${metricsUrl}/metrics`)).text(),
      );
    while (!(await activeSubmit())) await new Promise((r) => setTimeout(r, 100));
    expect(await (await fetch(`${metricsUrl}/livez`)).text()).toBe("live\n");

    const signalledAt = Date.now();
    proc.kill("SIGTERM");
    const [code] = await once(proc, "exit");
    worker = undefined;
    const stopMs = Date.now() - signalledAt;
    console.log(`veoq worker stopped ${stopMs} ms after SIGTERM with a create in flight`);
    expect(code).toBe(0);
    // The default drain (30 s) would have waited for the create's answer, CREATE_MS away.
    expect(out).toContain("leaving them to be recovered as stalled");
    expect(stopMs).toBeLessThan(CREATE_MS - 3_000);
  }, 180_000);
});
