import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createManifestContext, type LineReport, validateManifest } from "../src/index.ts";

/** Folder of the committed tiny images: red.png, pixel.jpg, pixel.gif, pixel.webp, not-an-image.txt. */
export const FIXTURES_DIR = fileURLToPath(new URL("./fixtures/", import.meta.url));

/** A temporary folder holding copies of the fixture images, where manifests are written. */
export interface ManifestFolder {
  dir: string;
  /** Writes `lines` (objects are JSON-encoded) as `name` in the folder; returns its path. */
  write(lines: readonly (string | object)[], name?: string): string;
  remove(): void;
}

export function createManifestFolder(): ManifestFolder {
  const dir = mkdtempSync(join(tmpdir(), "veoq-manifest-"));
  cpSync(FIXTURES_DIR, join(dir, "images"), { recursive: true });
  return {
    dir,
    write(lines, name = "manifest.jsonl") {
      const path = join(dir, name);
      const text = lines.map((line) => (typeof line === "string" ? line : JSON.stringify(line)));
      writeFileSync(path, `${text.join("\n")}\n`);
      return path;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Collects every report of a manifest file. */
export async function collectReports(path: string): Promise<LineReport[]> {
  const reports: LineReport[] = [];
  for await (const report of validateManifest(path)) reports.push(report);
  return reports;
}

/** A fresh context whose relative paths resolve in `dir`. */
export function contextIn(dir: string) {
  return createManifestContext({ manifestDir: dir });
}

/** A valid img2video input (image given as a URL, so no file is needed). */
export function img2videoInput(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { prompt: "a red fox in the snow", generate_audio: false, ...extra };
}

/** A valid Lite input using the fixture images. */
export function liteInput(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    prompt: "sunrise over a lake",
    image: "images/red.png",
    last_frame_image: "images/pixel.jpg",
    ...extra,
  };
}

/** A JSON manifest line. */
export function manifestLine(
  customId: string,
  model: string,
  input: Record<string, unknown>,
  rest: Record<string, unknown> = {},
): string {
  return JSON.stringify({ custom_id: customId, model, input, ...rest });
}

export const IMG2VIDEO = "veo-3.1-generate-img2video";
export const LITE = "veo-3.1-lite-firstlastframe";
