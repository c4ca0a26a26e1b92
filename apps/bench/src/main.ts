import { Command } from "commander";
import { FULL_SCALE, QUICK_SCALE } from "./bench-scale.ts";
import { formatReport } from "./format-report.ts";
import {
  BENCH_SECTIONS,
  type BenchSection,
  DEFAULT_SECTIONS,
  runBenchmarks,
} from "./run-benchmarks.ts";

interface BenchFlags {
  quick?: boolean;
  json?: boolean;
  only?: string;
  scenario?: string;
  lines?: string;
}

const program = new Command()
  .name("bench")
  .description(
    "veoq benchmarks: pipeline overhead vs bare BullMQ, polling cost vs a fixed interval, memory",
  )
  .option("--quick", "smaller runs (under five minutes)")
  .option("--json", "print one JSON object with every figure instead of the table")
  .option(
    "--only <sections>",
    `comma-separated parts to run (${BENCH_SECTIONS.join(", ")}; scale only when named)`,
  )
  .option("--lines <n>", "lines of the scale run's batch (default 1000000)")
  .option(
    "--scenario <indices>",
    "comma-separated scheduling scenarios (0-based, of the chosen scale) to run alone: no static baseline, rate or fair-share runs",
  )
  .action(async (flags: BenchFlags) => {
    const scale = flags.quick ? QUICK_SCALE : FULL_SCALE;
    const sections = flags.only === undefined ? [...DEFAULT_SECTIONS] : flags.only.split(",");
    const lines = flags.lines === undefined ? undefined : Number.parseInt(flags.lines, 10);
    if (lines !== undefined && !(lines > 0)) throw new Error("--lines: a positive whole number");
    const unknown = sections.filter((s) => !(BENCH_SECTIONS as readonly string[]).includes(s));
    if (unknown.length > 0) throw new Error(`--only: unknown section(s) ${unknown.join(", ")}`);
    const report = await runBenchmarks(
      scale,
      (line) => process.stderr.write(`${line}\n`),
      sections as BenchSection[],
      flags.scenario?.split(",").map((s) => Number.parseInt(s, 10)),
      lines,
    );
    process.stdout.write(
      flags.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`,
    );
  });

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
