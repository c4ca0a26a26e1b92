import { describe, expect, it } from "vitest";
import { LineBlockHasher } from "../src/line-block-digests.ts";
import { readManifestLineBatches } from "../src/read-manifest-lines.ts";

/** The block digests of `text` read in chunks of `size` bytes. */
async function digestsOf(text: Buffer, size: number, maxLineBytes = 1 << 20): Promise<string[]> {
  async function* chunks() {
    for (let i = 0; i < text.length; i += size) yield text.subarray(i, i + size);
  }
  const hasher = new LineBlockHasher();
  const digests: string[] = [];
  for await (const batch of readManifestLineBatches(chunks(), maxLineBytes, true)) {
    batch.lines.forEach((line, i) => {
      const digest = hasher.add(line.number, batch.bytes?.[i], line.problem);
      if (digest !== undefined) digests.push(digest.toString("hex"));
    });
  }
  const last = hasher.end();
  if (last !== undefined) digests.push(last.toString("hex"));
  return digests;
}

describe("LineBlockHasher", () => {
  const lines = Array.from({ length: 600 }, (_, i) =>
    i % 7 === 3 ? "" : `{"custom_id":"item-${i}","é":${i}}${i % 5 === 0 ? "\r" : ""}`,
  );
  const text = Buffer.from(`${lines.join("\n")}\n`);

  it("gives the same digests however the file's bytes arrive in buffers", async () => {
    const whole = await digestsOf(text, text.length);
    expect(whole).toHaveLength(3);
    for (const size of [1, 7, 64, 1000, 4096]) expect(await digestsOf(text, size)).toEqual(whole);
    // Without the last newline, and with a line too long to read: still the same for any split.
    const noNewline = text.subarray(0, text.length - 1);
    expect(await digestsOf(noNewline, 13)).toEqual(await digestsOf(noNewline, noNewline.length));
    expect(await digestsOf(text, 13, 30)).toEqual(await digestsOf(text, text.length, 30));
  });

  it("changes a block's digest when one of its bytes or its line count changes", async () => {
    const whole = await digestsOf(text, text.length);
    const changed = Buffer.from(text);
    changed[text.indexOf("item-300")] = "j".charCodeAt(0);
    const after = await digestsOf(changed, 64);
    expect(after[0]).toBe(whole[0]);
    expect(after[1]).not.toBe(whole[1]);
    expect(after[2]).toBe(whole[2]);
    // A blank line more at the top: every block shifts.
    const shifted = await digestsOf(Buffer.concat([Buffer.from("\n"), text]), 64);
    expect(shifted.some((d, i) => d === whole[i])).toBe(false);
  });
});
