import { readFileSync, rmSync, type Stats, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MAX_IMAGE_BYTES } from "@veoq/contract";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  ImageFileCache,
  ImageFileError,
  inlineLocalImages,
  type ManifestEntry,
  validateManifestLineSync,
} from "../src/index.ts";
import {
  contextIn,
  createManifestFolder,
  FIXTURES_DIR,
  IMG2VIDEO,
  img2videoInput,
  LITE,
  liteInput,
  type ManifestFolder,
  manifestLine,
} from "./manifest-fixture.ts";

// Counts file reads, to tell a cache hit from a second read of the same bytes.
const reads = vi.hoisted(() => ({ count: 0 }));
vi.mock("node:fs/promises", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:fs/promises")>();
  return {
    ...actual,
    readFile: ((...args: Parameters<typeof actual.readFile>) => {
      reads.count++;
      return actual.readFile(...args);
    }) as typeof actual.readFile,
  };
});

let folder: ManifestFolder;
const png = readFileSync(join(FIXTURES_DIR, "red.png"));
const jpeg = readFileSync(join(FIXTURES_DIR, "pixel.jpg"));
const gif = readFileSync(join(FIXTURES_DIR, "pixel.gif"));

beforeAll(() => {
  folder = createManifestFolder();
});
afterAll(() => folder.remove());

function entryOf(model: string, input: Record<string, unknown>): ManifestEntry {
  const report = validateManifestLineSync(
    manifestLine("a", model, input),
    1,
    contextIn(folder.dir),
  );
  if (report.entry === undefined) throw new Error(JSON.stringify(report.errors));
  return report.entry;
}

describe("inlineLocalImages", () => {
  it("replaces each local image by its base64 and leaves the rest alone", async () => {
    const entry = entryOf(LITE, liteInput({ seed: 3 }));
    const body = await inlineLocalImages(entry.model, entry.input, entry.localImages);
    expect(body).toEqual({
      ...liteInput({ seed: 3 }),
      image: png.toString("base64"),
      last_frame_image: jpeg.toString("base64"),
    });
    expect(entry.input.image).toBe(join(folder.dir, "images", "red.png"));
  });

  it("inlines files inside reference_images without touching URLs", async () => {
    const entry = entryOf(
      IMG2VIDEO,
      img2videoInput({
        reference_images: [
          { image: "https://example.com/a.png", reference_type: "asset" },
          { image: "images/pixel.gif", reference_type: "asset" },
        ],
      }),
    );
    const body = await inlineLocalImages(entry.model, entry.input, entry.localImages);
    expect(body.reference_images).toEqual([
      { image: "https://example.com/a.png", reference_type: "asset" },
      { image: gif.toString("base64"), reference_type: "asset" },
    ]);
  });

  it("returns the input unchanged when there are no local images", async () => {
    const input = img2videoInput({ image: "https://example.com/a.png" });
    expect(await inlineLocalImages(IMG2VIDEO, input, [])).toBe(input);
  });

  it("throws ImageFileError naming field and file when the file was deleted", async () => {
    const file = join(folder.dir, "deleted.png");
    writeFileSync(file, png);
    const entry = entryOf(LITE, liteInput({ last_frame_image: "deleted.png" }));
    rmSync(file);
    const failure = await inlineLocalImages(entry.model, entry.input, entry.localImages).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ImageFileError);
    expect(failure).toMatchObject({ field: "last_frame_image", file });
    expect((failure as Error).message).toBe(`last_frame_image: file ${file} does not exist`);
  });

  it("throws ImageFileError when the file changed into another format", async () => {
    const file = join(folder.dir, "changed.png");
    writeFileSync(file, png);
    const entry = entryOf(LITE, liteInput({ image: "changed.png" }));
    writeFileSync(file, gif);
    await expect(inlineLocalImages(entry.model, entry.input, entry.localImages)).rejects.toThrow(
      `image: file ${file} must be jpeg or png (got gif)`,
    );
  });

  it("throws ImageFileError when the file became empty or stopped being an image", async () => {
    const file = join(folder.dir, "emptied.png");
    writeFileSync(file, png);
    const entry = entryOf(IMG2VIDEO, img2videoInput({ image: "emptied.png" }));
    writeFileSync(file, "");
    await expect(inlineLocalImages(entry.model, entry.input, entry.localImages)).rejects.toThrow(
      /is empty$/,
    );
    writeFileSync(file, "text");
    await expect(inlineLocalImages(entry.model, entry.input, entry.localImages)).rejects.toThrow(
      ImageFileError,
    );
  });

  it("throws ImageFileError when the file grew past 20 MB", async () => {
    const file = join(folder.dir, "grown.png");
    writeFileSync(file, png);
    const entry = entryOf(IMG2VIDEO, img2videoInput({ image: "grown.png" }));
    truncateSync(file, MAX_IMAGE_BYTES + 1);
    await expect(inlineLocalImages(entry.model, entry.input, entry.localImages)).rejects.toThrow(
      /at most 20 MB is allowed$/,
    );
  });
});

describe("inlineLocalImages with an ImageFileCache", () => {
  it("reuses a file's base64 while the file is unchanged and reads it again once it changes", async () => {
    const file = join(folder.dir, "cached.png");
    writeFileSync(file, png);
    const entry = entryOf(IMG2VIDEO, img2videoInput({ image: "cached.png" }));
    const cache = new ImageFileCache({ racyWindowMs: 0 });
    const inline = () => inlineLocalImages(entry.model, entry.input, entry.localImages, cache);

    const before = reads.count;
    expect((await inline()).image).toBe(png.toString("base64"));
    expect(cache.size).toEqual({ files: 1, bytes: png.toString("base64").length });
    expect((await inline()).image).toBe(png.toString("base64"));
    expect(reads.count - before).toBe(1);

    // Rewritten with other bytes (another size, a newer mtime): read and checked again.
    writeFileSync(file, jpeg);
    expect((await inline()).image).toBe(jpeg.toString("base64"));
    writeFileSync(file, "no longer an image");
    await expect(inline()).rejects.toThrow(ImageFileError);
  });

  it("still fails an image deleted after it was cached", async () => {
    const file = join(folder.dir, "cached-then-deleted.png");
    writeFileSync(file, png);
    const entry = entryOf(IMG2VIDEO, img2videoInput({ image: "cached-then-deleted.png" }));
    const cache = new ImageFileCache({ racyWindowMs: 0 });
    await inlineLocalImages(entry.model, entry.input, entry.localImages, cache);
    rmSync(file);
    await expect(
      inlineLocalImages(entry.model, entry.input, entry.localImages, cache),
    ).rejects.toThrow(`image: file ${file} does not exist`);
  });

  it("does not cache a file changed in the last few seconds (a same-size rewrite may not show)", async () => {
    const file = join(folder.dir, "just-written.png");
    writeFileSync(file, png);
    const entry = entryOf(IMG2VIDEO, img2videoInput({ image: "just-written.png" }));
    const cache = new ImageFileCache();
    const before = reads.count;
    await inlineLocalImages(entry.model, entry.input, entry.localImages, cache);
    await inlineLocalImages(entry.model, entry.input, entry.localImages, cache);
    expect(reads.count - before).toBe(2);
    expect(cache.size.files).toBe(0);
  });

  it("keeps at most its byte bound, dropping the least recently used file first", () => {
    const cache = new ImageFileCache({ maxBytes: 10 });
    const stats = (ino: number) => ({ dev: 1, ino, size: 4, mtimeMs: 1, ctimeMs: 1 }) as Stats;
    cache.set("a", stats(1), "aaaa");
    cache.set("b", stats(2), "bbbb");
    expect(cache.get("a", stats(1))).toBe("aaaa"); // a is now the most recent
    cache.set("c", stats(3), "cccc");
    expect(cache.size).toEqual({ files: 2, bytes: 8 });
    expect(cache.get("b", stats(2))).toBeUndefined();
    expect(cache.get("a", stats(1))).toBe("aaaa");
    expect(cache.get("a", stats(9))).toBeUndefined(); // another file under the same path
    cache.set("huge", stats(4), "x".repeat(11));
    expect(cache.get("huge", stats(4))).toBeUndefined();
  });
});
