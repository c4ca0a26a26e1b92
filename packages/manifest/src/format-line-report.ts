import { CUSTOM_ID_PATTERN } from "./custom-id.ts";
import { escapeControlCharacters } from "./escape-control-characters.ts";
import type { LineReport } from "./manifest-entry.ts";

/**
 * Formats a report for people, one string per error:
 * `manifest.jsonl:12 shot-7 input.duration_seconds: must be 8 when reference_images is used`.
 * The custom_id is left out when the line has none, and quoted when it holds characters that
 * are not allowed in one; the path is left out for whole-line errors (invalid JSON).
 * Control characters from the manifest (a key, a value in a JSON error) are printed escaped,
 * so a line cannot drive the terminal. Returns `[]` for a valid line.
 */
export function formatLineReport(manifestLabel: string, report: LineReport): string[] {
  let prefix = `${manifestLabel}:${report.line}`;
  if (report.customId !== null) {
    prefix += ` ${CUSTOM_ID_PATTERN.test(report.customId) ? report.customId : JSON.stringify(report.customId)}`;
  }
  return report.errors.map((issue) =>
    escapeControlCharacters(
      issue.path === ""
        ? `${prefix} ${issue.message}`
        : `${prefix} ${issue.path}: ${issue.message}`,
    ),
  );
}
