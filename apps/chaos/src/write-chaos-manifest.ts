import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { copyFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { seededRandom } from "./seeded-random.ts";

/** The demo's sample images: tiny real PNG and JPEG files. */
const SAMPLE_IMAGES_DIR = fileURLToPath(new URL("../../../examples/demo/images/", import.meta.url));
const IMAGES = ["scene.jpg", "first-frame.png", "last-frame.png", "style.png"] as const;

/** The custom_id of line `index` (0-based) of a chaos manifest. */
export function chaosCustomId(index: number): string {
  return `chaos-${String(index).padStart(5, "0")}`;
}

/**
 * Writes `<folder>/manifest.jsonl` with `jobs` lines and copies the images it uses to
 * `<folder>/images/`. Both endpoints, local PNG and JPEG images (some as style references),
 * sample_count from 1 to 4; every prompt is unique, so the simulator's duplicate-body count
 * only counts re-creates of the same request. The same seed gives the same file.
 */
export async function writeChaosManifest(
  folder: string,
  jobs: number,
  seed: number,
): Promise<string> {
  const imagesDir = path.join(folder, "images");
  await mkdir(imagesDir, { recursive: true });
  for (const image of IMAGES) {
    await copyFile(path.join(SAMPLE_IMAGES_DIR, image), path.join(imagesDir, image));
  }
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const target = path.join(folder, "manifest.jsonl");
  const out = createWriteStream(target);
  for (let i = 0; i < jobs; i++) {
    const customId = chaosCustomId(i);
    const roll = random();
    const sampleCount = roll < 0.75 ? 1 : roll < 0.92 ? 2 : roll < 0.97 ? 3 : 4;
    const prompt = `chaos shot ${i}: ${pick(["a lighthouse at dusk", "a paper boat in the rain", "a fox in fresh snow", "a city at night"])}`;
    let line: Record<string, unknown>;
    if (random() < 0.6) {
      const withStyle = random() < 0.1;
      line = {
        custom_id: customId,
        model: "veo-3.1-generate-img2video",
        input: {
          prompt,
          image: `images/${pick(["scene.jpg", "first-frame.png"])}`,
          generate_audio: random() < 0.5,
          duration_seconds: withStyle ? 8 : pick([4, 6, 8]),
          sample_count: sampleCount,
          ...(withStyle
            ? { reference_images: [{ image: "images/style.png", reference_type: "style" }] }
            : {}),
        },
        metadata: { line: i },
      };
    } else {
      line = {
        custom_id: customId,
        model: "veo-3.1-lite-firstlastframe",
        input: {
          prompt,
          image: `images/${pick(["scene.jpg", "first-frame.png"])}`,
          last_frame_image: "images/last-frame.png",
          duration: pick([4, 6, 8]),
          sample_count: sampleCount,
          generate_audio: false,
        },
        metadata: { line: i },
      };
    }
    if (!out.write(`${JSON.stringify(line)}\n`)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  return target;
}
