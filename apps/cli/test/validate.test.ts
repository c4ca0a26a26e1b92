import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const CLI = join(REPO_ROOT, "apps", "cli", "bin", "veoq-sources.js");

/** A real 2x2 PNG. */
const PNG_BASE64 =
  "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4z8AARAwQCgAf7gP9i18U1AAAAABJRU5ErkJggg==";
/** A real 1x1 GIF (not accepted by the Lite endpoint). */
const GIF_BASE64 = "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7";

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function runCli(args: readonly string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: "1" } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function lines(text: string): string[] {
  return text.split("\n").filter((line) => line !== "");
}

let dir: string;
let validManifest: string;
let mixedManifest: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "veoq-cli-validate-"));
  writeFileSync(join(dir, "first.png"), Buffer.from(PNG_BASE64, "base64"));
  writeFileSync(join(dir, "frame.gif"), Buffer.from(GIF_BASE64, "base64"));
  const lite = (id: string, input: Record<string, unknown>) =>
    JSON.stringify({
      custom_id: id,
      model: "veo-3.1-lite-firstlastframe",
      input: { prompt: "a lake", image: "first.png", last_frame_image: "first.png", ...input },
    });
  validManifest = join(dir, "valid.jsonl");
  writeFileSync(
    validManifest,
    [
      lite("shot-1", {}),
      "",
      JSON.stringify({
        custom_id: "shot-2",
        model: "veo-3.1-generate-img2video",
        input: { prompt: "a fox", generate_audio: true, image: "frame.gif" },
        metadata: { scene: 2 },
      }),
    ].join("\n"),
  );
  mixedManifest = join(dir, "mixed.jsonl");
  writeFileSync(
    mixedManifest,
    [
      lite("shot-1", {}),
      JSON.stringify({
        custom_id: "shot-7",
        model: "veo-3.1-generate-img2video",
        input: {
          prompt: "a fox",
          generate_audio: false,
          duration_seconds: 6,
          reference_images: [{ image: "https://example.com/a.png", reference_type: "asset" }],
        },
      }),
      "{oops",
      lite("shot-1", { last_frame_image: "frame.gif" }),
      "",
    ].join("\n"),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.concurrent("veoq validate", () => {
  it("exits 0 and prints only the summary when every line is valid", async () => {
    const result = await runCli(["validate", validManifest]);
    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual(["2 lines: 2 valid, 0 invalid"]);
  });

  it("exits 1 and prints one line per error, labelled with the path as typed", async () => {
    const label = relative(REPO_ROOT, mixedManifest);
    const result = await runCli(["validate", label]);
    expect(result.code).toBe(1);
    const out = lines(result.stdout);
    expect(out[0]).toBe(
      `${label}:2 shot-7 input.duration_seconds: must be 8 when reference_images is used`,
    );
    expect(out[1]).toMatch(new RegExp(`^${escapeRegExp(label)}:3 not valid JSON: `));
    expect(out.slice(2, -1)).toEqual([
      `${label}:4 shot-1 custom_id: duplicate: line 1 already uses "shot-1"`,
      `${label}:4 shot-1 input.last_frame_image: file frame.gif (${join(dir, "frame.gif")}) must be jpeg or png (got gif)`,
    ]);
    expect(out.at(-1)).toBe("4 lines: 1 valid, 3 invalid");
  });

  it("prints one JSON object per line with --json, and the summary on stderr", async () => {
    const result = await runCli(["validate", mixedManifest, "--json"]);
    expect(result.code).toBe(1);
    const objects = lines(result.stdout).map((line) => JSON.parse(line));
    expect(objects).toHaveLength(4);
    expect(objects[0]).toEqual({ line: 1, custom_id: "shot-1", ok: true, errors: [] });
    expect(objects[1]).toEqual({
      line: 2,
      custom_id: "shot-7",
      ok: false,
      errors: [
        { path: "input.duration_seconds", message: "must be 8 when reference_images is used" },
      ],
    });
    expect(objects[2]).toMatchObject({ line: 3, custom_id: null, ok: false });
    expect(objects[3]).toMatchObject({ line: 4, custom_id: "shot-1", ok: false });
    expect(result.stderr).toContain("4 lines: 1 valid, 3 invalid");
  });

  it("exits 0 with --json on a valid manifest", async () => {
    const result = await runCli(["validate", "--json", validManifest]);
    expect(result.code).toBe(0);
    expect(lines(result.stdout).map((line) => JSON.parse(line).ok)).toEqual([true, true]);
  });

  it("exits 2 naming the file when the manifest does not exist", async () => {
    const missing = join(dir, "missing.jsonl");
    const result = await runCli(["validate", missing]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(`manifest ${missing} does not exist`);
  });

  it("exits 2 when the manifest is a folder", async () => {
    const result = await runCli(["validate", dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("is a folder");
  });

  it("exits 2 when the manifest argument is missing", async () => {
    const result = await runCli(["validate"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("missing required argument");
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
