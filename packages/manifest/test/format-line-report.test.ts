import { describe, expect, it } from "vitest";
import { formatLineReport, type LineReport } from "../src/index.ts";

function report(partial: Partial<LineReport>): LineReport {
  return { line: 12, customId: "shot-7", ok: false, errors: [], entry: undefined, ...partial };
}

describe("formatLineReport", () => {
  it("prints one line per error: label:line custom_id path: message", () => {
    const lines = formatLineReport(
      "manifest.jsonl",
      report({
        errors: [
          { path: "input.duration_seconds", message: "must be 8 when reference_images is used" },
          { path: "metadata", message: "must be a JSON object (got null)" },
        ],
      }),
    );
    expect(lines).toEqual([
      "manifest.jsonl:12 shot-7 input.duration_seconds: must be 8 when reference_images is used",
      "manifest.jsonl:12 shot-7 metadata: must be a JSON object (got null)",
    ]);
  });

  it("prints nothing for a valid line", () => {
    expect(formatLineReport("m.jsonl", report({ ok: true }))).toEqual([]);
  });

  it("leaves out a missing custom_id and an empty path", () => {
    const lines = formatLineReport(
      "data/m.jsonl",
      report({ customId: null, errors: [{ path: "", message: "not valid JSON: Unexpected end" }] }),
    );
    expect(lines).toEqual(["data/m.jsonl:12 not valid JSON: Unexpected end"]);
  });

  it("quotes a custom_id holding characters a valid one cannot have", () => {
    const lines = formatLineReport(
      "m.jsonl",
      report({ customId: "shot 7", errors: [{ path: "custom_id", message: "bad" }] }),
    );
    expect(lines).toEqual(['m.jsonl:12 "shot 7" custom_id: bad']);
  });
});
