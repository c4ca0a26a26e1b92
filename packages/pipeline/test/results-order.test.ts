import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { batchResults } from "../src/index.ts";
import { finalResult } from "./final-result.ts";
import { collect, createHarness, type Harness, img2videoLine } from "./pipeline-harness.ts";

/*
 * `veoq results` and the API's results stream in manifest order: the item registry keeps the
 * custom ids in the order they were registered (a list written by the same script as the states
 * hash), which a large hash's own scan order is not.
 */
let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

/** 700 custom ids in an order that is neither sorted nor the hash's (a large hash has no order). */
const ids = Array.from({ length: 700 }, (_, i) => `item-${(i * 337) % 700}`);

describe("results in manifest order", () => {
  it("streams the items as the manifest listed them, appends after", async () => {
    const first = await h.writeManifest(ids.slice(0, 600).map((id) => img2videoLine(id)));
    expect((await h.enqueue(first, "order")).added).toBe(600);
    // A second enqueue appends its new items (the first 600 are already there).
    const second = await h.writeManifest(ids.map((id) => img2videoLine(id)));
    expect((await h.enqueue(second, "order")).added).toBe(100);
    const lines = await collect(batchResults(h.store, "order"));
    expect(lines.map((l) => l.customId)).toEqual(ids);
    expect(lines.every((l) => l.status === "queued")).toBe(true);
  });
});

describe("results in finish order (`--order finished`)", () => {
  it("lists final items by the time they became final, then the open ones in manifest order", async () => {
    // 1,200 items (more than one page), finished in an order unlike the manifest's.
    const many = Array.from({ length: 1200 }, (_, i) => `f-${i}`);
    expect(
      (await h.enqueue(await h.writeManifest(many.map((id) => img2videoLine(id))), "fin")).added,
    ).toBe(1200);
    const finishedAt = (i: number) => 10_000 + ((i * 7919) % 1100);
    for (const [i, id] of many.slice(0, 1100).entries()) {
      await h.store.finishItem({
        ...finalResult("fin", id, i % 3 === 0 ? "failed" : "completed"),
        finishedAt: finishedAt(i),
      });
    }
    const lines = await collect(batchResults(h.store, "fin", { order: "finished" }));
    const expected = [
      ...many
        .slice(0, 1100)
        .map((id, i) => ({ id, at: finishedAt(i) }))
        .sort((a, b) => a.at - b.at)
        .map((e) => e.id),
      ...many.slice(1100),
    ];
    expect(lines.map((l) => l.customId)).toEqual(expected);
    expect(lines.slice(1100).every((l) => l.status === "queued")).toBe(true);
    // The default stays manifest order, and no scratch key is left behind.
    expect((await collect(batchResults(h.store, "fin"))).map((l) => l.customId)).toEqual(many);
    expect(
      await h.redis.keys(`{${h.config.prefix.replace(/[{}]/g, "")}:b:fin}:finish-order*`),
    ).toEqual([]);
  });
});
