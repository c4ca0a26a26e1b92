import { loadPriceTable, requestCost } from "@veoq/pricing";
import { afterEach, describe, expect, it } from "vitest";
import { enqueueManifest, SpendLedger } from "../src/index.ts";
import { createHarness, type Harness, img2videoLine } from "./pipeline-harness.ts";

const prices = loadPriceTable(undefined);
type Line = ReturnType<typeof img2videoLine>;
const costOf = (line: Line) =>
  requestCost(prices, "veo-3.1-generate-img2video", line.input).costMicros;

describe("the estimate enqueue prints and the one it stores", () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it("are the same on a manifest with duplicate requests (in one chunk and across chunks), reuse of another batch and samples", async () => {
    h = await createHarness();
    const ledger = new SpendLedger(h.redis, h.config.prefix);
    const enqueue = (batchId: string, lines: Line[]) =>
      h.writeManifest(lines).then((manifestPath) =>
        enqueueManifest({
          manifestPath,
          batchId,
          queues: h.queues,
          store: h.store,
          submitAttempts: 1,
          chunkSize: 2,
          spend: { prices, ledger },
        }),
      );
    const earlier = img2videoLine("earlier", { prompt: "rendered by an earlier batch" });
    await enqueue("b0", [earlier]);

    const reused = img2videoLine("earlier-again", { prompt: "rendered by an earlier batch" });
    // Identical lines in one manifest are separate renders (request-fingerprint.ts): all paid,
    // whether they fall in one chunk (a, a-again) or in another (a-third).
    const paid = [
      img2videoLine("a", { prompt: "a" }),
      img2videoLine("a-again", { prompt: "a" }),
      img2videoLine("b", { prompt: "b", duration_seconds: 8 }),
      img2videoLine("a-third", { prompt: "a" }),
      img2videoLine("samples", { prompt: "two samples", sample_count: 2 }),
    ];
    const [a, aAgain, b, aThird, samples] = paid as [Line, Line, Line, Line, Line];
    const summary = await enqueue("b1", [a, aAgain, b, reused, aThird, samples]);
    const stored = await ledger.read("b1");
    const expected = paid.reduce((sum, line) => sum + costOf(line), 0);
    // The reused line pays nothing: it is in neither estimate (its cost is reported apart).
    expect(summary.reused).toMatchObject({ lines: 1, estimate: { costMicros: costOf(reused) } });
    expect(summary.estimate).toMatchObject({ tasks: 5, costMicros: expected });
    expect(stored).toMatchObject({
      estimateTasks: summary.estimate?.tasks,
      estimateMicros: summary.estimate?.costMicros,
      estimateSeconds: summary.estimate?.videoSeconds,
    });
    // A second run of the same enqueue adds nothing and prints the same estimate.
    const again = await enqueue("b1", [a, aAgain, b, reused, aThird, samples]);
    expect(again.added).toBe(0);
    expect(again.estimate?.costMicros).toBe(expected);
    expect((await ledger.read("b1")).estimateMicros).toBe(expected);
    // Two samples bill twice the seconds of one.
    expect(costOf(samples)).toBe(2 * costOf(img2videoLine("one", { prompt: "one sample" })));
  });
});
