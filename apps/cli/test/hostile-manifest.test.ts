import { execFile, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MAX_LINE_BYTES, MAX_PROMPT_CHARS } from "@veoq/manifest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeTestKeys } from "./run-cli.ts";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const CLI = join(REPO_ROOT, "apps", "cli", "bin", "veoq-sources.js");
/** A real 1x1 PNG. */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64",
);
/** Characters that must never reach the terminal raw (newline aside). */
const RAW_CONTROL = /(?!\n)[\p{Cc}\u202a-\u202e\u2066-\u2069]/u;

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const prefix = `{veoq-cli-hostile-${randomBytes(4).toString("hex")}}`;

/** Runs the CLI; one still running after 30 s has hung: killed, code null. */
function runCli(args: readonly string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      {
        cwd: REPO_ROOT,
        timeout: 30_000,
        killSignal: "SIGKILL",
        maxBuffer: 16 * 1024 * 1024,
        env: {
          ...process.env,
          NO_COLOR: "1",
          REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
          VEOQ_PREFIX: prefix,
          LOG_LEVEL: "warn",
        },
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function outputLines(text: string): string[] {
  return text.split("\n").filter((line) => line !== "");
}

function lineFor(id: string, input: Record<string, unknown> = {}): string {
  return JSON.stringify({
    custom_id: id,
    model: "veo-3.1-lite-firstlastframe",
    input: { prompt: "a lake", image: "frame.png", last_frame_image: "frame.png", ...input },
  });
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "veoq-cli-hostile-"));
  writeFileSync(join(dir, "frame.png"), PNG);
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await removeTestKeys(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", prefix);
});

describe("a manifest that is not a regular file", () => {
  it("a FIFO: validate and enqueue exit 2 at once instead of waiting for a writer", async () => {
    const fifo = join(dir, "pipe.jsonl");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    for (const args of [
      ["validate", fifo],
      ["enqueue", fifo, "--batch", "fifo"],
    ]) {
      const result = await runCli(args);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toContain(`manifest ${fifo} is not a regular file`);
    }
  }, 70_000);

  it("a device or a folder: exit 2 naming what it is", async () => {
    const device = await runCli(["validate", "/dev/zero"]);
    expect(device.code).toBe(2);
    expect(device.stderr).toContain("manifest /dev/zero is not a regular file");
    const folder = await runCli(["validate", dir]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toContain(`manifest ${dir} is a folder, not a file`);
  });
});

describe.concurrent("veoq validate on hostile lines", () => {
  it("reports a key written twice, at any depth, instead of keeping the last value", async () => {
    const manifest = join(dir, "duplicate-keys.jsonl");
    const ref =
      '{"image":"https://example.com/a.png","image":"frame.png","reference_type":"asset"}';
    writeFileSync(
      manifest,
      [
        '{"custom_id":"shot-1","custom_id":"shot-9","model":"veo-3.1-lite-firstlastframe","input":{"prompt":"a","image":"frame.png","last_frame_image":"frame.png"}}',
        '{"custom_id":"shot-2","model":"veo-3.1-lite-firstlastframe","input":{"prompt":"a","prompt":"b","image":"frame.png","last_frame_image":"frame.png"}}',
        `{"custom_id":"shot-3","model":"veo-3.1-generate-img2video","input":{"prompt":"a","generate_audio":false,"reference_images":[${ref}]}}`,
        '{"custom_id":"shot-4","model":"veo-3.1-lite-firstlastframe","input":{"prompt":"a","image":"frame.png","last_frame_image":"frame.png"},"metadata":{"k":1,"\\u006b":2}}',
        lineFor("shot-5"),
      ].join("\n"),
    );
    const result = await runCli(["validate", manifest]);
    expect(result.code).toBe(1);
    const out = outputLines(result.stdout);
    expect(out.filter((line) => line.includes("duplicate key"))).toEqual([
      expect.stringMatching(/:1 shot-9 custom_id: duplicate key "custom_id" in one object/),
      expect.stringMatching(/:2 shot-2 input\.prompt: duplicate key "prompt" in one object/),
      expect.stringMatching(
        /:3 shot-3 input\.reference_images\[0\]\.image: duplicate key "image" in one object/,
      ),
      expect.stringMatching(/:4 shot-4 metadata\.k: duplicate key "k" in one object/),
    ]);
    expect(out.at(-1)).toBe("5 lines: 1 valid, 4 invalid");
  });

  it("reports a line that is not valid UTF-8, with its number", async () => {
    const manifest = join(dir, "latin1.jsonl");
    const bad = Buffer.from(lineFor("shot-2", { prompt: "caf\u00e9" }), "latin1");
    writeFileSync(manifest, Buffer.concat([Buffer.from(`${lineFor("shot-1")}\n`), bad]));
    const result = await runCli(["validate", manifest]);
    expect(result.code).toBe(1);
    expect(outputLines(result.stdout)).toEqual([
      `${manifest}:2 is not valid UTF-8 text; save the manifest as UTF-8`,
      "2 lines: 1 valid, 1 invalid",
    ]);
  });

  it("rejects a prompt over the prompt limit, naming it", async () => {
    const manifest = join(dir, "long-prompt.jsonl");
    const prompt = "x".repeat(MAX_PROMPT_CHARS + 1);
    writeFileSync(manifest, `${lineFor("shot-1", { prompt })}\n${lineFor("shot-2")}\n`);
    const result = await runCli(["validate", manifest]);
    expect(result.code).toBe(1);
    expect(outputLines(result.stdout)).toEqual([
      `${manifest}:1 shot-1 input.prompt: is ${MAX_PROMPT_CHARS + 1} characters, more than the prompt limit of ${MAX_PROMPT_CHARS} characters (MAX_PROMPT_CHARS)`,
      "2 lines: 1 valid, 1 invalid",
    ]);
  });

  it("rejects a line over the line limit, naming it, and checks the lines after it", async () => {
    const manifest = join(dir, "long-line.jsonl");
    const fd = openSync(manifest, "w");
    const head = `{"custom_id":"huge","model":"veo-3.1-lite-firstlastframe","input":{"prompt":"`;
    writeSync(fd, head);
    const block = Buffer.alloc(4 * 1024 * 1024, "y");
    for (let written = head.length; written <= MAX_LINE_BYTES; written += block.length) {
      writeSync(fd, block);
    }
    writeSync(fd, `"}}\n${lineFor("shot-2")}\n`);
    closeSync(fd);
    const result = await runCli(["validate", manifest]);
    expect(result.code).toBe(1);
    const out = outputLines(result.stdout);
    expect(out).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${manifest}:1 is \\d+ bytes long, more than the line limit of ${MAX_LINE_BYTES} bytes \\(MAX_LINE_BYTES`,
        ),
      ),
      "2 lines: 1 valid, 1 invalid",
    ]);
  }, 60_000);

  it("prints control characters from a line escaped, in text and in --json", async () => {
    const manifest = join(dir, "escapes.jsonl");
    writeFileSync(
      manifest,
      [
        // Raw ESC inside a string: invalid JSON, whose error message quotes the text.
        `{"custom_id":"shot-1","model":"\u001b]0;pwned\u0007","input":{}}`,
        // Escaped in JSON, so parsed: an unknown field and an unknown model echo them.
        '{"custom_id":"shot-2","\\u001b[2J\\u009b31m":1,"model":"veo\\u009b2J\\u202e","input":{}}',
      ].join("\n"),
    );
    const text = await runCli(["validate", manifest]);
    expect(text.code).toBe(1);
    expect(text.stdout).not.toMatch(RAW_CONTROL);
    expect(text.stdout).toContain("\\u001b");
    expect(text.stdout).toContain("\\u009b");
    const json = await runCli(["validate", manifest, "--json"]);
    expect(json.stdout).not.toMatch(RAW_CONTROL);
    const objects = outputLines(json.stdout).map((line) => JSON.parse(line));
    expect(JSON.stringify(objects)).toContain("\\u001b[2J\u009b31m");
  });
});
