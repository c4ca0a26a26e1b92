import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { batchResults } from "../src/index.ts";
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
