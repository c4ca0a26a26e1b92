#!/usr/bin/env node
// How many hand-written files of packages/pipeline/src one job's path touches (issue 22's
// "Done when"): runs the test that follows one manifest line through a provider failure and a
// retry with V8 coverage on, and counts the files of src with at least one named function that
// ran (vitest's export getters count: a module whose exports were read is on the path). The
// barrel index.ts and the generated store-scripts.generated.ts are left out. Needs the shared
// Redis at 127.0.0.1:6379, as the test does. Usage: node scripts/count-path-files.mjs [--json]
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const TEST = "test/retry-and-recovery.test.ts";
const NAME = "submits a new task on retry when the provider failed";
const EXCLUDED = new Set(["index.ts", "store/scripts/store-scripts.generated.ts"]);

const root = path.join(import.meta.dirname, "..");
const src = `${path.join(root, "src")}${path.sep}`;
const coverageDir = mkdtempSync(path.join(tmpdir(), "veoq-path-coverage-"));
try {
  // --pool=threads: forked test processes do not write NODE_V8_COVERAGE on exit.
  const run = spawnSync("npx", ["vitest", "run", TEST, "-t", NAME, "--pool=threads"], {
    cwd: root,
    env: { ...process.env, NODE_V8_COVERAGE: coverageDir },
    encoding: "utf8",
  });
  if (run.status !== 0) {
    process.stderr.write(run.stdout + run.stderr);
    throw new Error(`${TEST} failed (exit ${run.status})`);
  }
  const ran = new Set();
  for (const file of readdirSync(coverageDir)) {
    const { result } = JSON.parse(readFileSync(path.join(coverageDir, file), "utf8"));
    for (const script of result) {
      if (!script.url.startsWith("file://")) continue;
      const filePath = new URL(script.url).pathname;
      if (!filePath.startsWith(src) || !filePath.endsWith(".ts")) continue;
      const relative = filePath.slice(src.length).split(path.sep).join("/");
      if (EXCLUDED.has(relative)) continue;
      const named = script.functions.some(
        (fn) => fn.functionName !== "" && (fn.ranges[0]?.count ?? 0) > 0,
      );
      if (named) ran.add(relative);
    }
  }
  const files = [...ran].sort();
  if (process.argv.includes("--json")) {
    console.log(JSON.stringify({ count: files.length, files }, null, 2));
  } else {
    console.log(`${files.length} files of packages/pipeline/src on one job's path:`);
    for (const file of files) console.log(`  ${file}`);
  }
} finally {
  rmSync(coverageDir, { recursive: true, force: true });
}
