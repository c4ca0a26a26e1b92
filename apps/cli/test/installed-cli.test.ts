import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const CLI_DIR = fileURLToPath(new URL("..", import.meta.url));
const SAMPLE_DIR = fileURLToPath(new URL("../../../examples/demo/", import.meta.url));
const PNPM = ["-y", "pnpm@10.34.9"];

let dir: string;
let veoq: string;
let elsewhere: string;

/** The packed CLI (`pnpm pack`, which builds dist/ first) installed into a throwaway prefix. */
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "veoq-installed-"));
  await run("npx", [...PNPM, "pack", "--pack-destination", dir], {
    cwd: CLI_DIR,
    env: { ...process.env, COREPACK_INTEGRITY_KEYS: "0" },
  });
  const tarball = readdirSync(dir).find((name) => name.endsWith(".tgz"));
  if (tarball === undefined) throw new Error(`pnpm pack left no tarball in ${dir}`);
  const prefix = join(dir, "prefix");
  await run("npm", ["install", "--global", "--prefix", prefix, join(dir, tarball)], {
    env: { ...process.env, npm_config_loglevel: "error", npm_config_fund: "false" },
  });
  veoq = join(prefix, "bin", "veoq");
  elsewhere = join(dir, "shots");
  mkdirSync(elsewhere);
  cpSync(join(SAMPLE_DIR, "manifest.jsonl"), join(elsewhere, "manifest.jsonl"));
  cpSync(join(SAMPLE_DIR, "images"), join(elsewhere, "images"), { recursive: true });
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("veoq installed from the packed tarball", () => {
  it("validates a manifest given by a path relative to the caller's folder", async () => {
    const { stdout } = await run(veoq, ["validate", "manifest.jsonl"], { cwd: elsewhere });
    expect(stdout).toContain("13 lines: 13 valid, 0 invalid");
  });

  it("runs the compiled bundle, not the TypeScript sources", async () => {
    const { stdout } = await run(veoq, ["--version"], { cwd: elsewhere });
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const installed = join(dir, "prefix", "lib", "node_modules", "@veoq", "cli");
    expect(readdirSync(installed).sort()).toEqual(["dist", "node_modules", "package.json"]);
  });
});
