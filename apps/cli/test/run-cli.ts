import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { removeKeysUnder } from "@veoq/local-redis";
import { Redis } from "ioredis";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const CLI = join(REPO_ROOT, "apps", "cli", "bin", "veoq-sources.js");
export const DEMO_DIR = join(REPO_ROOT, "examples", "demo");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to stdin, then stdin is closed. */
  stdin?: string;
}

/** Runs the real `veoq` from its sources (bin/veoq-sources.js) to its end. */
export function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: { NO_COLOR: "1", ...(options.env ?? process.env) },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? "");
  });
}

/** The environment of a CLI test against the shared Redis (under `prefix`) and a fast simulator. */
export function simulatorTestEnv(
  prefix: string,
  simulatorUrl: string,
  dir: string,
): NodeJS.ProcessEnv {
  return {
    ...process.env,
    REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    VEOQ_PREFIX: prefix,
    JIEKOU_BASE_URL: simulatorUrl,
    JIEKOU_API_KEY: "sim-key",
    VEOQ_TIME_SCALE: "0.01",
    // The simulator limits no rate unless told; real-minute pacing would only slow this run.
    VEOQ_PROVIDER_RPM: "0",
    VEOQ_RETRY_BASE_MS: "50",
    VEOQ_OUTPUT_DIR: join(dir, "out"),
    LOG_LEVEL: "warn",
  };
}

/** Removes every key a test wrote under its prefix (each test file has its own). */
export async function removeTestKeys(redisUrl: string | undefined, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl as string);
  try {
    await removeKeysUnder(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

export interface RunningCli {
  /** stdout and stderr so far, together. */
  output(): string;
  /** Resolves with the first match of `pattern` in the output; rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** SIGTERM, then SIGKILL after 10 s; resolves once it exited. */
  stop(): Promise<void>;
}

/** Starts the real `veoq <args>` (a worker, a dashboard) and leaves it running. */
export function startCli(args: readonly string[], env: NodeJS.ProcessEnv): RunningCli {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: REPO_ROOT,
    env: { NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  child.stdout.on("data", (chunk) => {
    text += chunk;
  });
  child.stderr.on("data", (chunk) => {
    text += chunk;
  });
  const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
  return {
    output: () => text,
    async waitFor(pattern, timeoutMs = 40_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = pattern.exec(text);
        if (match) return match;
        if (Date.now() > deadline || child.exitCode !== null) {
          throw new Error(`no ${pattern} in the output of veoq ${args.join(" ")}:\n${text}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const hard = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(hard);
      }
    },
  };
}
