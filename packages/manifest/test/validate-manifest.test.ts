import { once } from "node:events";
import { createWriteStream, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AsciiKeyMap,
  LineBlockDigests,
  type LineReport,
  ManifestFileError,
  validateManifest,
} from "../src/index.ts";
import {
  collectReports,
  createManifestFolder,
  IMG2VIDEO,
  img2videoInput,
  LITE,
  liteInput,
  type ManifestFolder,
  manifestLine,
} from "./manifest-fixture.ts";

let folder: ManifestFolder;
beforeAll(() => {
  folder = createManifestFolder();
});
afterAll(() => folder.remove());

describe("validateManifest", () => {
  it("yields one report per non-blank line, with physical line numbers", async () => {
    const path = folder.write([
      "",
      manifestLine("a", IMG2VIDEO, img2videoInput()),
      "   ",
      "\t",
      "not json",
      manifestLine("b", LITE, liteInput()),
      "",
    ]);
    const reports = await collectReports(path);
    expect(reports.map((report) => [report.line, report.customId, report.ok])).toEqual([
      [2, "a", true],
      [5, null, false],
      [6, "b", true],
    ]);
  });

  it("reads CRLF line endings and a byte order mark", async () => {
    const path = join(folder.dir, "windows.jsonl");
    const lines = [
      manifestLine("a", IMG2VIDEO, img2videoInput()),
      manifestLine("b", IMG2VIDEO, img2videoInput()),
    ];
    writeFileSync(path, `\uFEFF${lines.join("\r\n")}\r\n`);
    const reports = await collectReports(path);
    expect(reports.map((report) => report.ok)).toEqual([true, true]);
  });

  it("reads a last line without a newline", async () => {
    const path = join(folder.dir, "no-newline.jsonl");
    writeFileSync(path, manifestLine("a", IMG2VIDEO, img2videoInput()));
    expect(await collectReports(path)).toHaveLength(1);
  });

  it("yields nothing for an empty manifest", async () => {
    const path = join(folder.dir, "empty.jsonl");
    writeFileSync(path, "\n\n");
    expect(await collectReports(path)).toEqual([]);
  });

  it("resolves local images against the manifest's own folder", async () => {
    const sub = join(folder.dir, "nested");
    mkdirSync(sub, { recursive: true });
    const path = join(sub, "m.jsonl");
    writeFileSync(
      path,
      `${manifestLine("a", LITE, liteInput({ image: "../images/red.png", last_frame_image: "../images/red.png" }))}\n`,
    );
    const [report] = await collectReports(path);
    expect(report?.ok).toBe(true);
    expect(report?.entry?.input.image).toBe(join(folder.dir, "images", "red.png"));
  });

  it("reports duplicates across the whole file", async () => {
    const path = folder.write([
      manifestLine("a", IMG2VIDEO, img2videoInput()),
      manifestLine("b", IMG2VIDEO, img2videoInput()),
      "",
      manifestLine("a", IMG2VIDEO, img2videoInput()),
    ]);
    const reports = await collectReports(path);
    expect(reports[2]).toMatchObject({ line: 4, customId: "a", ok: false });
    expect(reports[2]?.errors[0]?.message).toBe('duplicate: line 1 already uses "a"');
  });

  it("gives a second pass with the first pass's custom_id map the same verdicts, keeping the ids once", async () => {
    const path = folder.write([
      manifestLine("a", IMG2VIDEO, img2videoInput()),
      manifestLine("b", IMG2VIDEO, img2videoInput()),
      manifestLine("a", IMG2VIDEO, img2videoInput()),
    ]);
    const seenCustomIds = new AsciiKeyMap();
    const pass = async () => {
      const verdicts: (string | true)[] = [];
      for await (const report of validateManifest(path, { seenCustomIds })) {
        verdicts.push(report.ok ? true : (report.errors[0]?.message ?? "?"));
      }
      return verdicts;
    };
    const first = await pass();
    expect(first).toEqual([true, true, 'duplicate: line 1 already uses "a"']);
    expect(await pass()).toEqual(first);
    expect(seenCustomIds.size).toBe(2);
  });

  it("re-reads unchanged blocks of a checked pass to the same entries, and checks a changed block again", async () => {
    const lines = Array.from({ length: 600 }, (_, i) =>
      manifestLine(`item-${i}`, LITE, liteInput({ prompt: `take ${i}` })),
    );
    const path = folder.write(["", ...lines]);
    const digests = new LineBlockDigests();
    const seenCustomIds = new AsciiKeyMap();
    const pass = async (options: Parameters<typeof validateManifest>[1]) => {
      const reports: LineReport[] = [];
      for await (const report of validateManifest(path, { seenCustomIds, ...options })) {
        reports.push(report);
      }
      return reports;
    };
    const checked = await pass({ recordDigests: digests });
    expect(checked.every((r) => r.ok)).toBe(true);
    expect(digests.length).toBe(3); // 601 lines: blocks of 256, 256, 89
    expect(await pass({ checkedBefore: digests })).toEqual(checked);

    // The file changed after the checked pass: line 400's block (257-512) is checked in full
    // (the changed line fails, a duplicate is found); the other blocks are re-read.
    const changed = [...lines];
    changed[399] = manifestLine("item-0", LITE, liteInput({ prompt: 7 }));
    writeFileSync(path, `\n${changed.join("\n")}\n`);
    const again = await pass({ checkedBefore: digests });
    expect(again.filter((r) => !r.ok).map((r) => [r.line, r.errors.map((e) => e.path)])).toEqual([
      [401, ["custom_id", "input.prompt"]],
    ]);
    expect(again[0]).toEqual(checked[0]);
  });

  it("can skip file checks", async () => {
    const path = folder.write([manifestLine("a", LITE, liteInput({ image: "missing.png" }))]);
    const reports: boolean[] = [];
    for await (const report of validateManifest(path, { checkFiles: false })) {
      reports.push(report.ok);
    }
    expect(reports).toEqual([true]);
  });

  it("reports progress in bytes", async () => {
    const path = folder.write([
      manifestLine("a", IMG2VIDEO, img2videoInput()),
      manifestLine("b", IMG2VIDEO, img2videoInput()),
    ]);
    const seen: [number, number][] = [];
    for await (const _ of validateManifest(path, {
      onProgress: (bytesRead, total) => seen.push([bytesRead, total]),
    })) {
      // drain
    }
    expect(seen).toHaveLength(2);
    const total = seen[0]?.[1] ?? 0;
    expect(total).toBeGreaterThan(0);
    expect(seen.at(-1)).toEqual([total, total]);
  });

  it("stops cleanly when the consumer stops early", async () => {
    const path = folder.write([
      manifestLine("a", IMG2VIDEO, img2videoInput()),
      manifestLine("b", IMG2VIDEO, img2videoInput()),
    ]);
    for await (const report of validateManifest(path)) {
      expect(report.customId).toBe("a");
      break;
    }
  });

  it("throws ManifestFileError for a missing manifest", async () => {
    const missing = join(folder.dir, "nope.jsonl");
    await expect(collectReports(missing)).rejects.toThrow(ManifestFileError);
    await expect(collectReports(missing)).rejects.toThrow(`manifest ${missing} does not exist`);
  });

  it("throws ManifestFileError for a folder", async () => {
    await expect(collectReports(folder.dir)).rejects.toThrow(/is a folder, not a file/);
  });

  it("streams a large manifest, every line checked and numbered", async () => {
    const path = join(folder.dir, "large.jsonl");
    const out = createWriteStream(path);
    const count = 20_000;
    for (let i = 1; i <= count; i++) {
      let line: string;
      if (i % 1000 === 0) line = "{broken";
      else if (i % 2 === 0) line = manifestLine(`shot-${i}`, LITE, liteInput({ seed: i }));
      else
        line = manifestLine(`shot-${i}`, IMG2VIDEO, img2videoInput({ image: "images/pixel.gif" }));
      if (!out.write(`${line}\n`)) await once(out, "drain");
    }
    out.write(`${manifestLine("shot-1", IMG2VIDEO, img2videoInput())}\n`);
    out.end();
    await once(out, "finish");

    let expectedLine = 0;
    let valid = 0;
    const invalidLines: number[] = [];
    for await (const report of validateManifest(path)) {
      expectedLine++;
      expect(report.line).toBe(expectedLine);
      if (report.ok) valid++;
      else invalidLines.push(report.line);
    }
    expect(expectedLine).toBe(count + 1);
    expect(valid).toBe(count - count / 1000);
    expect(invalidLines).toHaveLength(count / 1000 + 1);
    expect(invalidLines.at(-1)).toBe(count + 1);
  });
});
