import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli as runCliWithStdin } from "./run-cli.ts";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const CLI = join(REPO_ROOT, "apps", "cli", "bin", "veoq-sources.js");
const DEFAULT_PRICES = join(REPO_ROOT, "packages", "pricing", "prices", "default-prices.json");

/** A real 2x2 PNG. */
const PNG_BASE64 =
  "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4z8AARAwQCgAf7gP9i18U1AAAAABJRU5ErkJggg==";

function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: "1", ...env } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

interface PriceRow {
  model: string;
  resolution: string;
  audio: boolean;
  perSecond: number;
}

let dir: string;
let manifest: string;
const lines = [
  { model: "veo-3.1-generate-img2video", input: { prompt: "a", generate_audio: true } },
  {
    model: "veo-3.1-generate-img2video",
    input: { prompt: "b", generate_audio: false, resolution: "1080p", duration_seconds: 4 },
  },
  {
    model: "veo-3.1-generate-img2video",
    input: { prompt: "c", generate_audio: true, resolution: "1080p", sample_count: 3 },
  },
  {
    model: "veo-3.1-lite-firstlastframe",
    input: { prompt: "d", image: "f.png", last_frame_image: "f.png", duration: 6 },
  },
];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "veoq-cli-estimate-"));
  writeFileSync(join(dir, "f.png"), Buffer.from(PNG_BASE64, "base64"));
  manifest = join(dir, "m.jsonl");
  writeFileSync(
    manifest,
    `${lines.map((l, i) => JSON.stringify({ custom_id: `c${i}`, ...l })).join("\n")}\n{"custom_id":"bad"}\n`,
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("veoq estimate", () => {
  it("equals the sum of the price table over the manifest's valid lines", async () => {
    const prices = (JSON.parse(readFileSync(DEFAULT_PRICES, "utf8")) as { prices: PriceRow[] })
      .prices;
    let expected = 0;
    let seconds = 0;
    for (const { model, input } of lines) {
      const i = input as Record<string, unknown>;
      const duration = Number(i.duration_seconds ?? i.duration ?? 8);
      const samples = Number(i.sample_count ?? 1);
      const row = prices.find(
        (p) =>
          p.model === model &&
          p.resolution === (i.resolution ?? "720p") &&
          p.audio === (i.generate_audio === true),
      ) as PriceRow;
      expected += row.perSecond * duration * samples;
      seconds += duration * samples;
    }
    const { code, stdout, stderr } = await runCli(["estimate", manifest, "--json"]);
    expect(code).toBe(1); // one invalid line
    expect(stderr).toContain("m.jsonl:5");
    const json = JSON.parse(stdout) as {
      tasks: number;
      video_seconds: number;
      cost: { amount: number; currency: string };
      by_model_resolution: { cost: { amount: number; currency: string } }[];
      invalid_lines: number;
    };
    expect(json).toMatchObject({ tasks: 4, video_seconds: seconds, invalid_lines: 1 });
    expect(json.cost.currency).toBe("USD");
    expect(json.cost.amount).toBeCloseTo(expected, 6);
    expect(json.by_model_resolution.reduce((sum, g) => sum + g.cost.amount, 0)).toBeCloseTo(
      expected,
      6,
    );

    // `-` reads the same manifest from stdin, and names its lines "stdin:N".
    const piped = await runCliWithStdin(["estimate", "-", "--json"], {
      cwd: dir,
      stdin: readFileSync(manifest, "utf8"),
    });
    expect(piped.code).toBe(1);
    expect(piped.stderr).toContain("stdin:5");
    expect(JSON.parse(piped.stdout)).toMatchObject({ ...json, manifest: "-" });
  });

  it("refuses an invalid price table at start, naming the entry", async () => {
    const prices = JSON.parse(readFileSync(DEFAULT_PRICES, "utf8")) as { prices: PriceRow[] };
    (prices.prices[2] as PriceRow).perSecond = -1;
    const file = join(dir, "prices.json");
    writeFileSync(file, JSON.stringify(prices));
    const { code, stderr } = await runCli(["estimate", manifest], { VEOQ_PRICES: file });
    expect(code).toBe(2);
    expect(stderr).toContain("prices[2].perSecond: a price cannot be negative");
  });
});
