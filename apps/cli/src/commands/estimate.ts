import path from "node:path";
import { formatLineReport, validateManifest } from "@veoq/manifest";
import {
  CostTally,
  describeEstimate,
  estimateToJson,
  loadPriceTable,
  requestCost,
} from "@veoq/pricing";
import type { Command } from "commander";
import { loadConfig } from "../env.ts";
import { type ManifestInput, withManifestInput } from "../manifest-input.ts";
import { EXIT_OK, EXIT_PROBLEM, runAction } from "../run-action.ts";
import { BufferedLineWriter } from "./validate/buffered-line-writer.ts";
import { ValidateProgress } from "./validate/validate-progress.ts";

interface EstimateFlags {
  json?: boolean;
}

export function registerEstimateCommand(program: Command): void {
  program
    .command("estimate")
    .description(
      "what a manifest would cost, from the price table (VEOQ_PRICES or the shipped list prices): " +
        "tasks, seconds of video and money, in total and per model and resolution. Invalid lines " +
        "are reported and left out (exit 1).",
    )
    .argument("<manifest>", "JSONL manifest (`-`: stdin, images relative to the current folder)")
    .option("--json", "print one JSON object on stdout; invalid lines go to stderr")
    .action(
      runAction((manifest: string, flags: EstimateFlags) =>
        withManifestInput(manifest, (input) => runEstimate(input, flags)),
      ),
    );
}

/** Prices the manifest's valid lines, prints the estimate, and returns the exit code. */
async function runEstimate(input: ManifestInput, flags: EstimateFlags): Promise<number> {
  const manifest = input.path;
  const config = loadConfig();
  const table = loadPriceTable(config.prices);
  const out = new BufferedLineWriter(process.stdout);
  const progress = new ValidateProgress(process.stdout, process.stderr);
  out.watchForClose();
  const tally = new CostTally(table.currency);
  let invalid = 0;
  for await (const report of validateManifest(manifest, {
    ...(input.imageDir === undefined ? {} : { imageDir: input.imageDir }),
    onProgress: (bytesRead, totalBytes) => progress.update(bytesRead, totalBytes),
  })) {
    if (report.entry !== undefined) {
      tally.add(requestCost(table, report.entry.model, report.entry.input));
      continue;
    }
    invalid++;
    const lines = formatLineReport(input.label, report);
    if (flags.json) {
      for (const line of lines) process.stderr.write(`${line}\n`);
    } else {
      progress.clear();
      for (const line of lines) out.writeLine(line);
      if (out.needsFlush) await out.flush();
      if (out.closed) return EXIT_PROBLEM;
    }
  }
  progress.stop();
  const estimate = tally.estimate();
  if (flags.json) {
    out.writeLine(
      JSON.stringify({
        manifest: input.fromStdin ? "-" : path.resolve(manifest),
        ...estimateToJson(estimate),
        invalid_lines: invalid,
        prices: table.path,
      }),
    );
  } else {
    for (const line of describeEstimate(estimate)) out.writeLine(line);
    if (invalid > 0) out.writeLine(`${invalid} invalid lines left out of the estimate`);
    out.writeLine(`prices: ${table.path}`);
  }
  await out.flush();
  return invalid > 0 ? EXIT_PROBLEM : EXIT_OK;
}
