import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const REPO = path.join(import.meta.dirname, "..", "..", "..");

/** The records of packages/pipeline/src/store: built by openStore (the BatchStore), nowhere else. */
const RECORDS = [
  "BatchStore",
  "Batches",
  "ItemStates",
  "ItemPages",
  "TaskIndex",
  "BatchControl",
  "SpendLedger",
  "RequestIndex",
  "FairShare",
  "DurationHistory",
  "WebhookOutbox",
  "WorkerRegistry",
  "ProviderSlots",
  "ProviderRate",
];
const CONSTRUCTION = new RegExp(`\\bnew (${RECORDS.join("|")})\\(`);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return name.endsWith(".ts") ? [full] : [];
  });
}

describe("openStore", () => {
  it("is the only way code outside the store gets a record (tests may build their own)", () => {
    const roots = ["packages", "apps"].flatMap((top) =>
      readdirSync(path.join(REPO, top)).map((name) => path.join(REPO, top, name, "src")),
    );
    const found = roots
      .filter((root) => statSync(root, { throwIfNoEntry: false })?.isDirectory())
      .flatMap(sourceFiles)
      .filter(
        (file) => !file.includes(`${path.sep}pipeline${path.sep}src${path.sep}store${path.sep}`),
      )
      .flatMap((file) =>
        readFileSync(file, "utf8")
          .split("\n")
          .filter((line) => CONSTRUCTION.test(line))
          .map((line) => `${path.relative(REPO, file)}: ${line.trim()}`),
      );
    expect(found).toEqual([]);
  });
});
