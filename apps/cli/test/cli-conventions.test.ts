import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resumeJson, retryJson, workerStartedJson } from "@veoq/report";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, DEMO_DIR, REPO_ROOT, removeTestKeys, runCli } from "./run-cli.ts";

const prefix = `{veoq-conv-${randomBytes(4).toString("hex")}}`;
const dir = mkdtempSync(join(tmpdir(), "veoq-conventions-"));
const env: NodeJS.ProcessEnv = {
  ...process.env,
  REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
  VEOQ_PREFIX: prefix,
  JIEKOU_BASE_URL: "http://127.0.0.1:9",
  JIEKOU_API_KEY: "sim-key",
  VEOQ_OUTPUT_DIR: join(dir, "out"),
  LOG_LEVEL: "warn",
};
const sample = readFileSync(join(DEMO_DIR, "manifest.jsonl"), "utf8");
let busy: Server;
let busyPort: number;

beforeAll(async () => {
  busy = createServer();
  busy.listen(0, "127.0.0.1");
  await once(busy, "listening");
  busyPort = (busy.address() as { port: number }).port;
});

afterAll(async () => {
  busy.close();
  await removeTestKeys(env.REDIS_URL, prefix);
  rmSync(dir, { recursive: true, force: true });
});

describe("veoq conventions", () => {
  it("prints its version, and bare `veoq` prints the help on stderr with exit 2", async () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, "apps/cli/package.json"), "utf8"));
    const shown = await runCli(["--version"], { env });
    expect(shown).toMatchObject({ code: 0, stdout: `${version}\n` });
    const bare = await runCli([], { env });
    expect(bare.code).toBe(2);
    expect(bare.stdout).toBe("");
    expect(bare.stderr).toContain("Usage: veoq");
    expect(bare.stderr).toContain("validate");
  });

  it("reads a manifest from stdin with `-`, images relative to the caller's folder", async () => {
    const valid = await runCli(["validate", "-"], { env, cwd: DEMO_DIR, stdin: sample });
    expect(valid).toMatchObject({ code: 0, stdout: "13 lines: 13 valid, 0 invalid\n" });
    const one = await runCli(["validate", "-"], {
      env,
      cwd: DEMO_DIR,
      stdin: sample.split("\n")[0],
    });
    expect(one.stdout).toBe("1 line: 1 valid, 0 invalid\n");
    const elsewhere = await runCli(["validate", "-"], { env, cwd: dir, stdin: sample });
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stdout).toMatch(/^stdin:1 i2v-01 input\.image: file images\/scene\.jpg /m);

    const noBatch = await runCli(["enqueue", "-"], { env, cwd: DEMO_DIR, stdin: sample });
    expect(noBatch.code).toBe(2);
    expect(noBatch.stderr).toContain("--batch");
    const added = await runCli(["enqueue", "-", "--batch", "conv-stdin", "--json"], {
      env,
      cwd: DEMO_DIR,
      stdin: sample,
    });
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ batch_id: "conv-stdin", added: 13 });
  });

  it("prints retry and resume summaries as JSON in the shared schema", async () => {
    const retry = await runCli(["retry", "conv-stdin", "--json"], { env });
    expect(retry.code).toBe(0);
    expect(retryJson.parse(JSON.parse(retry.stdout))).toEqual({
      batch_id: "conv-stdin",
      outcome: "nothing_to_retry",
      retried: 0,
      skipped: [],
      left_unpaid: 0,
      plan: expect.objectContaining({ batch_id: "conv-stdin", failed: 0, resubmit: 0 }),
    });
    const resume = await runCli(["resume", "--json"], { env });
    expect(resumeJson.parse(JSON.parse(resume.stdout))).toEqual({
      was_paused: false,
      stopped_by: null,
    });
  });

  it("ends quietly with exit 0 when the reader of its output goes away (`| head`)", async () => {
    const image = join(DEMO_DIR, "images", "first-frame.png");
    const lines = Array.from({ length: 3000 }, (_, i) =>
      JSON.stringify({
        custom_id: `shot-${i}`,
        model: "veo-3.1-lite-firstlastframe",
        input: { prompt: "a lake", image, last_frame_image: image },
      }),
    );
    const manifest = join(dir, "big.jsonl");
    writeFileSync(manifest, `${lines.join("\n")}\n`);
    expect((await runCli(["enqueue", manifest, "--batch", "conv-big"], { env })).code).toBe(0);

    const child = spawn(process.execPath, [CLI, "results", "conv-big"], { env });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    await once(child.stdout, "data");
    child.stdout.destroy();
    const [code] = await once(child, "exit");
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });

  it("refuses to serve the API beyond loopback without VEOQ_API_TOKENS (exit 2)", async () => {
    const open = await runCli(["api", "--host", "0.0.0.0", "--port", "0"], {
      env: { ...env, VEOQ_API_TOKENS: "" },
    });
    expect(open.code).toBe(2);
    expect(open.stderr).toContain(
      "refusing to listen on 0.0.0.0 without tokens: set VEOQ_API_TOKENS",
    );
  });

  it("names the server whose port is busy, in one line, and exits 1", async () => {
    const port = String(busyPort);
    const dashboard = await runCli(["dashboard", "--port", port], { env });
    expect(dashboard.code).toBe(1);
    expect(dashboard.stderr).toBe(
      `veoq: the dashboard cannot listen on 127.0.0.1:${port}: the port is already in use (choose another with --port, or 0 for a free one)\n`,
    );
    const api = await runCli(["api", "--port", port], { env });
    expect(api.code).toBe(1);
    expect(api.stderr).toBe(
      `veoq: the API cannot listen on 127.0.0.1:${port}: the port is already in use (choose another with --port, or 0 for a free one)\n`,
    );
    const worker = await runCli(["worker", "--metrics-port", port], { env });
    expect(worker.code).toBe(1);
    expect(worker.stderr).toContain(
      `veoq: the worker's metrics server cannot listen on 127.0.0.1:${port}: the port is already in use`,
    );
    expect(worker.stderr).not.toContain("    at ");
    const mock = await runCli(["mock", "--port", port], { env });
    expect(mock.code).toBe(1);
    expect(mock.stderr).toContain(`the simulator cannot listen on 127.0.0.1:${port}`);
  });

  it("announces a started worker with one JSON line under --json", async () => {
    const worker = spawn(process.execPath, [CLI, "worker", "--json", "--metrics-port", "0"], {
      env,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    while (!out.includes("worker_started")) {
      const [chunk] = await once(worker.stdout, "data");
      out += chunk;
    }
    worker.kill("SIGTERM");
    const [code] = await once(worker, "exit");
    const line = out.split("\n").find((l) => l.includes("worker_started")) ?? "";
    const started = workerStartedJson.parse(JSON.parse(line));
    expect(started.roles).toEqual(["submit", "poll", "download"]);
    expect(started.metrics_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(code).toBe(0);
  });
});
