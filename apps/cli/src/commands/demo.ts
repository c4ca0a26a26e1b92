import type { Command } from "commander";
import { runDemo } from "../demo/run-demo.ts";
import { processEnvironment } from "../env.ts";
import { runAction } from "../run-action.ts";
import { parsePositiveInt } from "./worker.ts";

interface DemoFlags {
  jobs?: number;
  out: string;
  keep?: boolean;
  timeScale: number;
  timeout: number;
  json?: boolean;
}

function parseTimeScale(value: string): number {
  const n = Number(value);
  if (!(n > 0)) throw new Error("--time-scale must be a number > 0");
  return n;
}

export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description("run the whole system on this machine: Redis, simulator, workers, sample manifest")
    .option(
      "--jobs <n>",
      "number of jobs (default: every line of examples/demo/manifest.jsonl)",
      parsePositiveInt,
    )
    .option("--out <dir>", "where videos are saved", "demo-output")
    .option("--keep", "leave workers, simulator and Redis running after the batch is final")
    .option("--time-scale <x>", "simulator real seconds per provider second", parseTimeScale, 0.02)
    .option("--timeout <seconds>", "give up after this long", parsePositiveInt, 300)
    .option("--json", "print one JSON summary on stdout (the commentary goes to stderr)")
    .action(
      runAction(async (flags: DemoFlags) =>
        runDemo({
          jobs: flags.jobs,
          outDir: flags.out,
          keep: flags.keep === true,
          timeScale: flags.timeScale,
          timeoutMs: flags.timeout * 1000,
          redisUrl: processEnvironment().REDIS_URL || undefined,
          json: flags.json === true,
        }),
      ),
    );
}
