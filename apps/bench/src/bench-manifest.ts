import { appendFile, writeFile } from "node:fs/promises";
import path from "node:path";

/** The smallest valid PNG (1x1): the local-file image of every bench item. */
export const TINY_PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64",
);

export interface BenchManifestOptions {
  /** Folder the manifest and its image go to. */
  dir: string;
  /** File name of the manifest. */
  name: string;
  items: number;
  /** Provider seconds item `i` runs (a `[sim:duration=N]` prompt marker); none when undefined. */
  durationOf?: (index: number) => number;
  /** Endpoint of every line. Default img2video. */
  model?: "veo-3.1-generate-img2video" | "veo-3.1-lite-firstlastframe";
  /** Prefix of every custom_id. Default "item". */
  idPrefix?: string;
}

/** Lines written per append: a million-line manifest is never one string in memory. */
const WRITE_CHUNK_LINES = 10_000;

/** One line (8 s video, local image) per item, img2video by default; returns the manifest's path. */
export async function writeBenchManifest(options: BenchManifestOptions): Promise<string> {
  await writeFile(path.join(options.dir, "frame.png"), TINY_PNG);
  const file = path.join(options.dir, options.name);
  await writeFile(file, "");
  let lines: string[] = [];
  for (let index = 0; index < options.items; index++) {
    const marker =
      options.durationOf === undefined ? "" : ` [sim:duration=${options.durationOf(index)}]`;
    const prompt = `a lighthouse at dusk, slow dolly shot, take ${index}${marker}`;
    const customId = `${options.idPrefix ?? "item"}-${String(index).padStart(6, "0")}`;
    lines.push(
      JSON.stringify(
        options.model === "veo-3.1-lite-firstlastframe"
          ? {
              custom_id: customId,
              model: options.model,
              input: { prompt, image: "frame.png", last_frame_image: "frame.png", duration: 8 },
            }
          : {
              custom_id: customId,
              model: "veo-3.1-generate-img2video",
              input: {
                prompt,
                image: "frame.png",
                duration_seconds: 8,
                resolution: "720p",
                generate_audio: false,
              },
            },
      ),
    );
    if (lines.length === WRITE_CHUNK_LINES || index === options.items - 1) {
      await appendFile(file, `${lines.join("\n")}\n`);
      lines = [];
    }
  }
  return file;
}

/**
 * Durations spread evenly over [min, max] in a scrambled order (golden-ratio steps), the same
 * for every run, so both sides of a comparison face exactly the same tasks.
 */
export function spreadDuration(index: number, minSeconds: number, maxSeconds: number): number {
  const fraction = (index * 0.618_033_988_75 + 0.5) % 1;
  return Math.round(minSeconds + (maxSeconds - minSeconds) * fraction);
}
