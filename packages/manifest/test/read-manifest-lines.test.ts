import { describe, expect, it } from "vitest";
import { MAX_IMAGE_BYTES, MAX_LINE_BYTES } from "../src/manifest-limits.ts";
import { type ManifestLine, readManifestLines } from "../src/read-manifest-lines.ts";

async function* chunksOf(...parts: (string | Buffer)[]): AsyncGenerator<Buffer> {
  for (const part of parts) yield typeof part === "string" ? Buffer.from(part) : part;
}

async function collect(lines: AsyncIterable<ManifestLine>): Promise<ManifestLine[]> {
  const all: ManifestLine[] = [];
  for await (const line of lines) all.push(line);
  return all;
}

describe("readManifestLines", () => {
  it("splits on \\n and \\r\\n across chunk boundaries, numbering from 1", async () => {
    const lines = await collect(readManifestLines(chunksOf("a\r", "\nbc", "d\n\ne"), 100));
    expect(lines).toEqual([
      { number: 1, text: "a" },
      { number: 2, text: "bcd" },
      { number: 3, text: "" },
      { number: 4, text: "e" },
    ]);
  });

  it("decodes a character split across chunks, and reports invalid UTF-8 by line", async () => {
    const euro = Buffer.from("\u20ac");
    const lines = await collect(
      readManifestLines(
        chunksOf(
          euro.subarray(0, 1),
          Buffer.concat([euro.subarray(1), Buffer.from("\n")]),
          Buffer.from([0x61, 0xff, 0x0a]),
          "ok",
        ),
        100,
      ),
    );
    expect(lines).toEqual([
      { number: 1, text: "\u20ac" },
      { number: 2, problem: "is not valid UTF-8 text; save the manifest as UTF-8" },
      { number: 3, text: "ok" },
    ]);
  });

  it("takes a line of exactly the limit and reports a longer one without stopping", async () => {
    const lines = await collect(readManifestLines(chunksOf("12345\n1234", "56\nend"), 5));
    expect(lines[0]).toEqual({ number: 1, text: "12345" });
    expect(lines[1]?.number).toBe(2);
    expect(lines[1]?.problem).toMatch(/^is 6 bytes long, more than the line limit of 5 bytes/);
    expect(lines[2]).toEqual({ number: 3, text: "end" });
  });

  it("admits five images of MAX_IMAGE_BYTES as base64 data URIs in one line", () => {
    const dataUri = "data:image/jpeg;base64,".length + Math.ceil(MAX_IMAGE_BYTES / 3) * 4;
    expect(MAX_LINE_BYTES).toBeGreaterThan(
      5 * (dataUri + '"reference_images":[],'.length) + 10_000,
    );
  });
});
