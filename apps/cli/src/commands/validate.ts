import {
  escapeControlCharacters,
  formatLineReport,
  type LineReport,
  ManifestFileError,
  validateManifest,
} from "@veoq/manifest";
import { countOf } from "@veoq/report";
import type { Command } from "commander";
import { type ManifestInput, withManifestInput } from "../manifest-input.ts";
import { runAction } from "../run-action.ts";
import { BufferedLineWriter } from "./validate/buffered-line-writer.ts";
import { ValidateProgress } from "./validate/validate-progress.ts";

/** Exit code when every line is valid. */
const EXIT_VALID = 0;
/** Exit code when at least one line is invalid. */
const EXIT_INVALID = 1;
/** Exit code when the call itself is wrong (manifest missing or unreadable). */
const EXIT_USAGE = 2;

/** Options of `veoq validate`. */
export interface ValidateCommandOptions {
  /** Print one JSON object per manifest line on stdout instead of messages (default `false`). */
  json: boolean;
}

export function registerValidateCommand(program: Command): void {
  program
    .command("validate")
    .description(
      "Check every line of a manifest (JSONL) without submitting anything: fields, custom_id " +
        "uniqueness and local image files. Exit code 0 when all lines are valid, 1 when any " +
        "is not, 2 when the manifest cannot be read.",
    )
    .argument("<manifest>", "the manifest file (JSONL, one request per line); - reads stdin")
    .option("--json", "print one JSON object per line on stdout; the summary goes to stderr", false)
    .action(
      runAction((manifest: string, options: ValidateCommandOptions) =>
        withManifestInput(manifest, (input) => runValidate(input, options)),
      ),
    );
}

/** Validates the manifest, prints the reports, and returns the exit code. */
export async function runValidate(
  input: ManifestInput,
  options: ValidateCommandOptions,
): Promise<number> {
  const { stdout, stderr } = process;
  const out = new BufferedLineWriter(stdout);
  const progress = new ValidateProgress(stdout, stderr);
  out.watchForClose();

  let valid = 0;
  let invalid = 0;
  try {
    const reports = validateManifest(input.path, {
      ...(input.imageDir === undefined ? {} : { imageDir: input.imageDir }),
      onProgress: (bytesRead, totalBytes) => progress.update(bytesRead, totalBytes),
    });
    for await (const report of reports) {
      if (report.ok) valid++;
      else invalid++;
      writeReport(out, input.label, report, options.json);
      if (out.needsFlush) {
        progress.clear();
        await out.flush();
        // Nobody reads any more: stop, and do not claim lines that were never checked are valid.
        if (out.closed) return EXIT_INVALID;
      }
    }
  } catch (error) {
    progress.stop();
    if (error instanceof ManifestFileError) {
      await out.flush();
      stderr.write(`veoq validate: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
  progress.stop();

  const summary = formatSummary(valid, invalid);
  if (options.json) {
    await out.flush();
    stderr.write(`${summary}\n`);
  } else {
    out.writeLine(summary);
    await out.flush();
  }
  return invalid === 0 ? EXIT_VALID : EXIT_INVALID;
}

function writeReport(
  out: BufferedLineWriter,
  manifest: string,
  report: LineReport,
  json: boolean,
): void {
  if (json) {
    // JSON.stringify escapes C0 controls but not DEL, C1 or bidi controls a line may carry.
    out.writeLine(
      escapeControlCharacters(
        JSON.stringify({
          line: report.line,
          custom_id: report.customId,
          ok: report.ok,
          errors: report.errors,
        }),
      ),
    );
    return;
  }
  for (const message of formatLineReport(manifest, report)) out.writeLine(message);
}

/** "3 lines: 2 valid, 1 invalid" */
function formatSummary(valid: number, invalid: number): string {
  return `${countOf(valid + invalid, "line")}: ${valid} valid, ${invalid} invalid`;
}
