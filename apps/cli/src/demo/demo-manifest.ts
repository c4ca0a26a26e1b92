import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import { assetPath } from "@veoq/assets";
import { readPromptMarkers } from "@veoq/simulator";

/**
 * The sample manifest shipped with veoq: both endpoints, local images, multi-sample, items that
 * fail once and one that fails for good (docs/simulator.md lists the prompt markers).
 */
export const SAMPLE_MANIFEST_PATH = path.join(assetPath("examples/demo"), "manifest.jsonl");

const IMAGE_FIELDS = ["image", "last_image", "last_frame_image"] as const;

/**
 * A manifest of exactly `jobs` lines: the sample's lines in order, repeated with a `-rN` suffix
 * on custom_id when more are asked for. Local image paths are made absolute so the file can live
 * anywhere. Returns the sample itself when `jobs` is unset or equals its length.
 */
export async function writeDemoManifest(jobs: number | undefined, folder: string): Promise<string> {
  const sample: Record<string, unknown>[] = [];
  const lines = createInterface({
    input: createReadStream(SAMPLE_MANIFEST_PATH),
    crlfDelay: Infinity,
  });
  for await (const line of lines) if (line.trim()) sample.push(JSON.parse(line));
  if (jobs === undefined || jobs === sample.length) return SAMPLE_MANIFEST_PATH;
  const sampleDir = path.dirname(SAMPLE_MANIFEST_PATH);
  const absolutize = (value: unknown) =>
    typeof value === "string" && value.startsWith("images/") ? path.join(sampleDir, value) : value;
  await mkdir(folder, { recursive: true });
  const target = path.join(folder, `manifest-${jobs}.jsonl`);
  const out = createWriteStream(target);
  for (let i = 0; i < jobs; i++) {
    const base = structuredClone(sample[i % sample.length]) as {
      custom_id: string;
      input: Record<string, unknown>;
    };
    const round = Math.floor(i / sample.length);
    if (round > 0) base.custom_id = `${base.custom_id}-r${round + 1}`;
    for (const field of IMAGE_FIELDS) {
      if (field in base.input) base.input[field] = absolutize(base.input[field]);
    }
    const refs = base.input.reference_images;
    if (Array.isArray(refs)) {
      for (const ref of refs as Record<string, unknown>[]) ref.image = absolutize(ref.image);
    }
    if (!out.write(`${JSON.stringify(base)}\n`)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  return target;
}

/** custom_ids whose prompt asks the simulator to fail for good (`[sim:fail]`). */
export async function plannedFailures(manifest: string): Promise<Set<string>> {
  const ids = new Set<string>();
  const lines = createInterface({ input: createReadStream(manifest), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    const item = JSON.parse(line) as { custom_id?: unknown; input?: { prompt?: unknown } };
    if (typeof item.custom_id === "string" && readPromptMarkers(item.input?.prompt).fail) {
      ids.add(item.custom_id);
    }
  }
  return ids;
}
