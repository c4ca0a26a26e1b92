import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * docs/architecture.md is true by test (issue 22): every file path it mentions exists, and every
 * code name it puts in backticks (`enqueueManifest`, `BatchStore.finishItem`, `SubmitJobData`,
 * `PIPELINE_DEFAULTS.slotWaitSeconds`) is exported by veoq's sources (or BullMQ's, for its own
 * names), with the member, when one is named, in the same file.
 */
const root = path.join(import.meta.dirname, "..", "..", "..");
const pipelineSrc = path.join(root, "packages", "pipeline", "src");
const doc = readFileSync(path.join(root, "docs", "architecture.md"), "utf8");

/** Every file under the src folders of the repo's packages and apps (not tests, not builds). */
function sourceFiles(): string[] {
  const files: string[] = [];
  for (const group of ["packages", "apps"]) {
    for (const name of readdirSync(path.join(root, group))) {
      const src = path.join(root, group, name, "src");
      if (!existsSync(src)) continue;
      for (const file of readdirSync(src, { recursive: true, encoding: "utf8" })) {
        files.push(path.join(src, file));
      }
    }
  }
  return files;
}

/** BullMQ's and ioredis' typings: names such as `DelayedError` or `Queue.addBulk` are theirs. */
function libraryTypings(): string[] {
  const require = createRequire(import.meta.url);
  const bullmq = path.join(path.dirname(require.resolve("bullmq")), "..", "esm");
  const ioredis = path.join(path.dirname(require.resolve("ioredis")), "..", "built");
  return [bullmq, ioredis].flatMap((dir) =>
    readdirSync(dir, { recursive: true, encoding: "utf8" })
      .filter((file) => file.endsWith(".d.ts"))
      .map((file) => path.join(dir, file)),
  );
}

const sources = sourceFiles();
const ours = sources
  .filter((file) => file.endsWith(".ts"))
  .map((file) => ({ file, text: readFileSync(file, "utf8") }));
const theirs = libraryTypings().map((file) => ({ file, text: readFileSync(file, "utf8") }));
const allFiles = [
  ...sources.map((f) => path.relative(root, f)),
  ...readdirSync(path.join(root, "infra"), { recursive: true, encoding: "utf8" }).map((f) =>
    path.join("infra", f),
  ),
];

function exportsName(text: string, name: string): boolean {
  const declared = new RegExp(
    `export\\s+(declare\\s+)?(default\\s+)?(abstract\\s+)?(async\\s+)?(function\\*?|class|const|let|type|interface|enum)\\s+${name}\\b`,
  );
  const listed = new RegExp(`export\\s+(type\\s+)?\\{[^}]*\\b${name}\\b[^}]*\\}`);
  return declared.test(text) || listed.test(text);
}

/** Whether `member` is declared in `text` (a method, property, field or object key). */
function declaresMember(text: string, member: string): boolean {
  return new RegExp(
    `(^|[\\s.{,(])(readonly\\s+|static\\s+|async\\s+|get\\s+)*${member}\\??\\s*[(:=<]`,
    "m",
  ).test(text);
}

/** Where a path the page names should be: repo-relative, or relative to packages/pipeline/src. */
function pathExists(mentioned: string): boolean {
  const clean = mentioned.replace(/[.,;:)]+$/, "");
  if (/^(packages|apps|infra|docs)\//.test(clean) || existsSync(path.join(root, clean))) {
    return existsSync(path.join(root, clean));
  }
  if (/^[a-z-]+\//.test(clean) && existsSync(path.join(pipelineSrc, clean))) return true;
  if (existsSync(path.join(root, "docs", clean))) return true;
  // A file named on its own or under its folder in a package the sentence names: some file of
  // the repo ends with it.
  return allFiles.some((file) => file === clean || file.endsWith(`/${clean}`));
}

/** File paths the page mentions (in or out of backticks and links). */
function mentionedPaths(): string[] {
  const found = doc.match(/[A-Za-z0-9_./{}-]*[A-Za-z0-9_}-]\.(ts|lua|mjs|sh|md|yaml)\b/g) ?? [];
  return [...new Set(found.filter((p) => !p.startsWith("http") && !p.includes("{")))];
}

/** Code names in backticks: identifiers, optionally `Owner.member`. */
function mentionedNames(): string[] {
  const spans = [...doc.matchAll(/`([^`\n]+)`/g)].map((m) => m[1] as string);
  const names = spans
    .map((span) => span.replace(/\(\)$/, ""))
    .filter((span) => /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)?$/.test(span))
    // Values, not names: states, error kinds, flags, words (no capital after the first letter).
    .filter((span) => /[A-Z]/.test(span.slice(1)) || /^[A-Z]/.test(span))
    // Environment variables and other capitals-only constants are checked as plain text.
    .filter((span) => !/^[A-Z0-9_]+$/.test(span) || span === "PIPELINE_DEFAULTS");
  return [...new Set(names)];
}

function nameExists(name: string): boolean {
  const [owner, member] = name.split(".") as [string, string | undefined];
  const defining = [...ours, ...theirs].filter((f) => exportsName(f.text, owner));
  if (defining.length > 0) {
    return member === undefined || defining.some((f) => declaresMember(f.text, member));
  }
  // `job.updateData`, `context.durationHistory`: a variable's member, declared somewhere.
  if (member !== undefined && /^[a-z]/.test(owner)) {
    return [...ours, ...theirs].some((f) => declaresMember(f.text, member));
  }
  // A field, method or module-private function of ours (`taskId`, `bookUnrecordedCreate`), or
  // a field of a stored record, named as a string (`webhookUrl`).
  return (
    member === undefined &&
    ours.some((f) => declaresMember(f.text, owner) || new RegExp(`["']${owner}["']`).test(f.text))
  );
}

describe("docs/architecture.md names only what exists", () => {
  it("every file path it mentions exists", () => {
    const paths = mentionedPaths();
    expect(paths.length).toBeGreaterThan(30);
    expect(paths.filter((p) => !pathExists(p))).toEqual([]);
  });

  it("every code name it puts in backticks is exported (with its member)", () => {
    const names = mentionedNames();
    expect(names.length).toBeGreaterThan(40);
    expect(names.filter((n) => !nameExists(n))).toEqual([]);
  });

  it("its folder table names every file of packages/pipeline/src", () => {
    const table = doc.slice(doc.indexOf("## The folders of `packages/pipeline/src`"));
    const rows = new Map(
      [...table.matchAll(/^\| `([a-z/]+)\/` \|(.*)$/gm)].map((m) => [
        m[1] as string,
        m[2] as string,
      ]),
    );
    expect([...rows.keys()].sort()).toEqual(
      [
        "jobs",
        "keys",
        "operations",
        "policy",
        "stages",
        "store",
        "store/connection",
        "store/scripts",
      ].sort(),
    );
    const missing = [...rows].flatMap(([folder, row]) =>
      readdirSync(path.join(pipelineSrc, folder))
        .filter((name) => name.endsWith(".ts") && !row.includes(name))
        .map((name) => `${folder}/${name}`),
    );
    expect(missing).toEqual([]);
  });

  it("every capitals-only name in backticks (env vars, constants) appears in the sources", () => {
    const constants = [...doc.matchAll(/`([A-Z][A-Z0-9_]{3,})(=[^`]*)?`/g)].map(
      (m) => m[1] as string,
    );
    const missing = [...new Set(constants)].filter(
      (name) => !ours.some((f) => f.text.includes(name)),
    );
    expect(missing).toEqual([]);
  });
});
