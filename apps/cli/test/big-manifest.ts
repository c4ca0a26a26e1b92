import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI, REPO_ROOT } from "./run-cli.ts";

const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64",
);

/**
 * Writes `frame.png` and `big.jsonl` into `dir`: `lines` image-to-video items `item-0`… whose
 * prompt is `prompt(i)`. Returns the manifest's path.
 */
export function writeBigManifest(
  dir: string,
  lines: number,
  prompt: (i: number) => string,
): string {
  const manifest = join(dir, "big.jsonl");
  writeFileSync(join(dir, "frame.png"), PNG);
  const items: string[] = [];
  for (let i = 0; i < lines; i++) {
    items.push(
      JSON.stringify({
        custom_id: `item-${i}`,
        model: "veo-3.1-generate-img2video",
        input: {
          prompt: prompt(i),
          image: "frame.png",
          duration_seconds: 8,
          resolution: "720p",
          generate_audio: false,
        },
      }),
    );
  }
  writeFileSync(manifest, `${items.join("\n")}\n`);
  return manifest;
}

/** `veoq enqueue <manifest> --batch big` against `redisUrl` under `prefix`; code -1 when killed. */
export function enqueueBig(
  manifest: string,
  redisUrl: string,
  prefix: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, "enqueue", manifest, "--batch", "big"],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, REDIS_URL: redisUrl, VEOQ_PREFIX: prefix, LOG_LEVEL: "warn" },
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
