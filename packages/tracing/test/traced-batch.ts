import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { BatchStore } from "@veoq/pipeline";

const TINY_PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64",
);

/**
 * Writes `frame.png` and `m.jsonl` into `dir`: one image-to-video item (no audio) per entry of
 * `prompts` (custom id → prompt). Returns the manifest's path.
 */
export async function writeTracedManifest(
  dir: string,
  prompts: Record<string, string>,
): Promise<string> {
  await writeFile(path.join(dir, "frame.png"), TINY_PNG);
  const manifest = path.join(dir, "m.jsonl");
  const lines = Object.entries(prompts).map(([id, prompt]) =>
    JSON.stringify({
      custom_id: id,
      model: "veo-3.1-generate-img2video",
      input: { prompt, image: "frame.png", generate_audio: false },
    }),
  );
  await writeFile(manifest, `${lines.join("\n")}\n`);
  return manifest;
}

/** Waits until every item of the batch is completed or failed; throws after 60 s. */
export async function waitForBatchFinal(store: BatchStore, batchId: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const batch = await store.getBatch(batchId);
    if (batch && batch.counts.completed + batch.counts.failed === batch.total) return;
    if (Date.now() > deadline) throw new Error(`batch not final: ${JSON.stringify(batch?.counts)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Waits until `done()` holds; throws after 10 s. A batch is final as soon as its last item's
 * record is written, a moment before that stage's span ends: wait for the spans, not the batch.
 */
export async function waitUntil(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`still waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The workers' environment: the shared Redis under `prefix`, the simulator, a fast time scale. */
export function tracedRunEnv(
  prefix: string,
  simulatorUrl: string,
  dir: string,
): Record<string, string> {
  return {
    REDIS_URL: "redis://127.0.0.1:6379",
    VEOQ_PREFIX: prefix,
    JIEKOU_BASE_URL: simulatorUrl,
    JIEKOU_API_KEY: "sim-key",
    VEOQ_OUTPUT_DIR: path.join(dir, "out"),
    VEOQ_TIME_SCALE: "0.01",
    VEOQ_PROVIDER_RPM: "0",
  };
}
