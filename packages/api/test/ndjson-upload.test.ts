import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiHarness, apiLine, createApiHarness } from "./api-harness.ts";

/*
 * A 100,000-line manifest uploaded as NDJSON is streamed through (never held whole): the client
 * sends it from a generator, the API validates it line by line into a temp file and enqueues it.
 * The peak RSS of this process (client, API and test together) is printed; no workers run.
 */

const LINES = 100_000;
let h: ApiHarness;

beforeAll(async () => {
  h = await createApiHarness();
});

afterAll(async () => {
  await h?.close();
}, 120_000);

async function* manifestChunks(): AsyncGenerator<Uint8Array> {
  const encoder = new TextEncoder();
  let chunk = "";
  for (let i = 0; i < LINES; i++) {
    chunk += `${JSON.stringify(apiLine(`u-${i}`))}\n`;
    if (chunk.length > 64 * 1024) {
      yield encoder.encode(chunk);
      chunk = "";
    }
  }
  if (chunk !== "") yield encoder.encode(chunk);
}

describe("a 100,000-line NDJSON upload", () => {
  it("is enqueued whole with bounded memory", async () => {
    globalThis.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    const started = Date.now();
    const bodyBytes = LINES * (JSON.stringify(apiLine("u-00000")).length + 1);
    try {
      const created = await h.client.createBatchFromNdjson(manifestChunks(), {
        batch_id: "big-upload",
      });
      expect(created.enqueue).toMatchObject({
        lines: LINES,
        valid: LINES,
        invalid: 0,
        added: LINES,
      });
      expect(created.total).toBe(LINES);
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
    console.log(
      `100,000-line NDJSON upload (${mib(bodyBytes)} MiB): enqueued in ${((Date.now() - started) / 1000).toFixed(1)} s; RSS ${mib(baseline)} MiB before, peak ${mib(peak)} MiB (+${mib(peak - baseline)} MiB)`,
    );
    expect(await h.pipeline.store.getBatch("big-upload")).toMatchObject({ total: LINES });
    // Loose: the body alone is ~26 MiB; buffering it and its parsed lines would cost far more.
    expect(peak - baseline).toBeLessThan(400 * 1024 * 1024);
  }, 300_000);
});
