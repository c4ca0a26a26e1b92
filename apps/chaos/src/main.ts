import { Command, InvalidArgumentError } from "commander";
import { DEFAULT_CHAOS_OPTIONS } from "./chaos-options.ts";
import type { ChaosRedisKind } from "./chaos-redis.ts";
import { formatChaosReport } from "./format-chaos-report.ts";
import { runChaos } from "./run-chaos.ts";

function wholeNumber(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) {
      throw new InvalidArgumentError(`must be a whole number >= ${min}`);
    }
    return n;
  };
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!(n > 0)) throw new InvalidArgumentError("must be a number > 0");
  return n;
}

interface ChaosFlags {
  jobs: number;
  seconds: number;
  seed: number;
  workers: number;
  killEvery: number;
  timeScale: number;
  json?: boolean;
  keep?: boolean;
  redis: ChaosRedisKind;
  output: "disk" | "s3";
}

function redisKind(value: string): ChaosRedisKind {
  if (value === "standalone" || value === "cluster" || value === "sentinel") return value;
  throw new InvalidArgumentError("must be standalone, cluster or sentinel");
}

function outputKind(value: string): "disk" | "s3" {
  if (value === "disk" || value === "s3") return value;
  throw new InvalidArgumentError("must be disk or s3");
}

const program = new Command("chaos")
  .description(
    "Chaos run: private Redis (AOF), the simulator with faults on, worker processes that get SIGKILLed, one Redis SIGKILL; then checks that nothing was lost. Exits 1 on any loss or mismatch.",
  )
  .option("--jobs <n>", "jobs to enqueue", wholeNumber(1), DEFAULT_CHAOS_OPTIONS.jobs)
  .option(
    "--seconds <s>",
    "time limit until every item is final (the run fails beyond it)",
    positiveNumber,
    DEFAULT_CHAOS_OPTIONS.seconds,
  )
  .option("--seed <x>", "seed of the manifest, faults and victims", wholeNumber(0), 1)
  .option("--workers <n>", "worker processes", wholeNumber(1), DEFAULT_CHAOS_OPTIONS.workers)
  .option(
    "--kill-every <s>",
    "mean seconds between worker kills",
    positiveNumber,
    DEFAULT_CHAOS_OPTIONS.killEverySeconds,
  )
  .option(
    "--time-scale <x>",
    "simulator real seconds per provider second",
    positiveNumber,
    DEFAULT_CHAOS_OPTIONS.timeScale,
  )
  .option(
    "--redis <kind>",
    "standalone, cluster (3 masters + 3 replicas; the master holding the batch is SIGKILLed) or sentinel (the master is SIGKILLed)",
    redisKind,
    DEFAULT_CHAOS_OPTIONS.redis,
  )
  .option(
    "--output <where>",
    "disk, or s3 (a local s3rver bucket)",
    outputKind,
    DEFAULT_CHAOS_OPTIONS.output,
  )
  .option("--json", "print one JSON object with every figure instead of the table")
  .option("--keep", "keep the work folder (Redis data, files, logs) even when the run passes")
  .action(async (flags: ChaosFlags) => {
    const abort = new AbortController();
    const onSignal = () => abort.abort();
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    const report = await runChaos({
      jobs: flags.jobs,
      seconds: flags.seconds,
      seed: flags.seed,
      workers: flags.workers,
      killEverySeconds: flags.killEvery,
      timeScale: flags.timeScale,
      redis: flags.redis,
      output: flags.output,
      keep: flags.keep === true,
      signal: abort.signal,
      onProgress: (line) => process.stderr.write(`chaos  ${line}\n`),
    });
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    if (flags.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else process.stdout.write(`${formatChaosReport(report).join("\n")}\n`);
    process.exitCode = report.ok ? 0 : 1;
  });

// pnpm passes a lone "--" through when called as `pnpm chaos -- --jobs 10`.
const args = process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === "--"));
program.parseAsync(args, { from: "user" }).catch((error: unknown) => {
  process.stderr.write(`chaos: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
});
