import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createQueues, createRedisConnection, enqueueManifest, openStore } from "@veoq/pipeline";
import { writeBenchManifest } from "./bench-manifest.ts";
import { childEnvironment } from "./env.ts";
import { percentile } from "./percentile.ts";

const run = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const CLI_DIR = path.join(REPO_ROOT, "apps", "cli");
/** What `pnpm veoq` runs in the checkout (node_modules/.bin/veoq links to it). */
const CHECKOUT_BIN = path.join(CLI_DIR, "bin", "veoq.js");
const GNU_TIME = "/usr/bin/time";

export interface StartupCostOptions {
  redisUrl: string;
  /** Items of the batch `status` reads. Default 1,000. */
  items?: number;
  /** Runs per figure; the medians are reported. Default 10. */
  runs?: number;
}

/** One command's cost: medians over the runs (CPU = user + sys of the process and its children). */
export interface CommandCost {
  cpu_s: number;
  wall_s: number;
  peak_rss_mb: number;
}

export interface StartupCost {
  runs: number;
  status_items: number;
  /** `veoq` installed from the packed tarball into a temporary prefix. */
  installed: { version: CommandCost; status: CommandCost };
  /** The checkout's command (apps/cli/bin/veoq.js: what `pnpm veoq` starts). */
  checkout: { version: CommandCost; status: CommandCost };
  /** `pnpm veoq --version` whole, pnpm's own start-up included; undefined when not run by pnpm. */
  pnpm_version?: CommandCost;
}

/** Builds every app's dist/ from the current sources (what `pnpm install` / `pnpm build` do). */
export async function buildApps(): Promise<void> {
  for (const app of ["cli", "worker", "dashboard", "mock"]) {
    await run(process.execPath, ["build.mjs"], { cwd: path.join(REPO_ROOT, "apps", app) });
  }
}

/** Packs the CLI (`pnpm pack`) and installs the tarball into a prefix; returns its `veoq`. */
async function installPackedCli(dir: string): Promise<string> {
  const pnpm = process.env.npm_execpath;
  const packer =
    pnpm?.includes("pnpm") === true
      ? { file: process.execPath, args: [pnpm] }
      : { file: "npx", args: ["-y", "pnpm@10.34.9"] };
  await run(packer.file, [...packer.args, "pack", "--pack-destination", dir], {
    cwd: CLI_DIR,
    env: { ...process.env, COREPACK_INTEGRITY_KEYS: "0" },
  });
  const tarball = (await readdir(dir)).find((name) => name.endsWith(".tgz"));
  if (tarball === undefined) throw new Error(`pnpm pack left no tarball in ${dir}`);
  const prefix = path.join(dir, "prefix");
  await run(
    "npm",
    ["install", "--global", "--prefer-offline", "--prefix", prefix, path.join(dir, tarball)],
    { env: { ...process.env, npm_config_loglevel: "error", npm_config_fund: "false" } },
  );
  return path.join(prefix, "bin", "veoq");
}

/** Runs a command `runs` times under GNU time; medians of CPU, wall and peak RSS. */
async function measure(
  file: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; runs: number },
): Promise<CommandCost> {
  const cpu: number[] = [];
  const wall: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < options.runs; i++) {
    const { stderr } = await run(GNU_TIME, ["-f", "veoq-time %U %S %e %M", file, ...args], {
      cwd: options.cwd,
      env: options.env,
      maxBuffer: 64 * 1024 * 1024,
    });
    const match = /veoq-time (\S+) (\S+) (\S+) (\d+)/.exec(stderr);
    if (match === null) throw new Error(`no timing from ${file} ${args.join(" ")}: ${stderr}`);
    cpu.push(Number(match[1]) + Number(match[2]));
    wall.push(Number(match[3]));
    rss.push(Number(match[4]) / 1024);
  }
  return {
    cpu_s: percentile(cpu, 50),
    wall_s: percentile(wall, 50),
    peak_rss_mb: percentile(rss, 50),
  };
}

/**
 * Start-up of the `veoq` command as people run it: `--version` and `status BATCH --json` against
 * a batch of `items` queued items, installed from the tarball and in the checkout, each the
 * median of `runs` runs (CPU time: GNU time's user + sys).
 */
export async function measureStartupCost(options: StartupCostOptions): Promise<StartupCost> {
  if (!existsSync(GNU_TIME))
    throw new Error(`${GNU_TIME} (GNU time) is needed for start-up figures`);
  const items = options.items ?? 1_000;
  const runs = options.runs ?? 10;
  const dir = await mkdtemp(path.join(tmpdir(), "veoq-bench-startup-"));
  const prefix = "{bench-startup}";
  const redis = createRedisConnection(options.redisUrl, "worker");
  try {
    const installed = await installPackedCli(dir);
    const manifestPath = await writeBenchManifest({ dir, name: "status.jsonl", items });
    const queues = createQueues(redis, prefix);
    await enqueueManifest({
      manifestPath,
      batchId: "status",
      queues,
      store: openStore(redis, { prefix }),
      submitAttempts: 8,
    });
    await queues.close();
    const elsewhere = path.join(dir, "elsewhere");
    await mkdir(elsewhere);
    const env = childEnvironment({ REDIS_URL: options.redisUrl, VEOQ_PREFIX: prefix });
    const at = { cwd: elsewhere, env, runs };
    const node = process.execPath;
    const report: StartupCost = {
      runs,
      status_items: items,
      installed: {
        version: await measure(installed, ["--version"], at),
        status: await measure(installed, ["status", "status", "--json"], at),
      },
      checkout: {
        version: await measure(node, [CHECKOUT_BIN, "--version"], at),
        status: await measure(node, [CHECKOUT_BIN, "status", "status", "--json"], at),
      },
    };
    const pnpm = process.env.npm_execpath;
    if (pnpm?.includes("pnpm") === true) {
      report.pnpm_version = await measure(node, [pnpm, "veoq", "--version"], {
        cwd: REPO_ROOT,
        env,
        runs,
      });
    }
    return report;
  } finally {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await rm(dir, { recursive: true, force: true });
  }
}
