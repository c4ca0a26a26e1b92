import { readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MAX_IMAGE_BYTES } from "@veoq/contract";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createManifestContext,
  type LineReport,
  type ManifestContext,
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

let folder: ManifestFolder;
let pngBase64: string;
let gifBase64: string;
beforeAll(() => {
  folder = createManifestFolder();
  pngBase64 = readFileSync(join(FIXTURES_DIR, "red.png")).toString("base64");
  gifBase64 = readFileSync(join(FIXTURES_DIR, "pixel.gif")).toString("base64");
  writeFileSync(join(folder.dir, "images", "empty.png"), "");
});
afterAll(() => folder.remove());

let lineNumber = 0;

/** Checks a Lite line with a fresh custom_id, so one context can see several lines. */
function checkLite(extra: Record<string, unknown>, ctx: ManifestContext = contextIn(folder.dir)) {
  lineNumber++;
  return validateManifestLineSync(
    manifestLine(`shot-${lineNumber}`, LITE, liteInput(extra)),
    lineNumber,
    ctx,
  );
}

function checkImg2video(extra: Record<string, unknown>): LineReport {
  return validateManifestLineSync(
    manifestLine("shot-1", IMG2VIDEO, img2videoInput(extra)),
    1,
    contextIn(folder.dir),
  );
}

describe("image given as a URL", () => {
  it("is accepted without being fetched, and is not a local image", () => {
    const report = checkImg2video({ image: "https://example.com/does-not-exist.png" });
    expect(report.ok).toBe(true);
    expect(report.entry?.localImages).toEqual([]);
    expect(report.entry?.input.image).toBe("https://example.com/does-not-exist.png");
  });
});

describe("image given as a data URI", () => {
  it("accepts a PNG data URI on Lite", () => {
    expect(checkLite({ image: `data:image/png;base64,${pngBase64}` }).ok).toBe(true);
  });

  it("rejects a GIF data URI on Lite (JPEG/PNG only)", () => {
    const report = checkLite({ image: `data:image/gif;base64,${gifBase64}` });
    expect(report.errors).toEqual([
      { path: "input.image", message: "data URI content must be jpeg or png (got gif)" },
    ]);
  });

  it("rejects a data URI whose content is not an image", () => {
    const text = Buffer.from("just some text, no image").toString("base64");
    const report = checkImg2video({ image: `data:image/png;base64,${text}` });
    expect(report.errors[0]?.message).toMatch(/^data URI content is not a recognised image/);
  });
});

describe("image given as raw base64", () => {
  it("accepts PNG base64 on Lite and GIF base64 on img2video", () => {
    expect(checkLite({ last_frame_image: pngBase64 }).ok).toBe(true);
    expect(checkImg2video({ image: gifBase64 }).ok).toBe(true);
  });

  it("rejects GIF base64 on Lite", () => {
    const report = checkLite({ last_frame_image: gifBase64 });
    expect(report.errors).toEqual([
      { path: "input.last_frame_image", message: "base64 data must be jpeg or png (got gif)" },
    ]);
  });

  it("rejects base64 that decodes to something that is not an image", () => {
    const text = Buffer.from("plain text pretending to be a picture").toString("base64");
    const report = checkImg2video({ image: text });
    expect(report.errors[0]?.path).toBe("input.image");
    expect(report.errors[0]?.message).toMatch(/^base64 data is not a recognised image/);
  });

  it("rejects decoded base64 over 20 MB", () => {
    const big = Buffer.alloc(MAX_IMAGE_BYTES + 3);
    readFileSync(join(FIXTURES_DIR, "red.png")).copy(big);
    const report = checkImg2video({ image: big.toString("base64") });
    expect(report.errors[0]?.message).toMatch(
      new RegExp(`^base64 data is .*${MAX_IMAGE_BYTES + 3} bytes.*at most 20 MB`),
    );
  });
});

describe("image given as a local file", () => {
  it("resolves a path relative to the manifest folder to an absolute path", () => {
    const report = checkLite({});
    expect(report.ok).toBe(true);
    expect(report.entry?.input.image).toBe(join(folder.dir, "images", "red.png"));
    expect(report.entry?.input.last_frame_image).toBe(join(folder.dir, "images", "pixel.jpg"));
    expect(report.entry?.localImages).toEqual(["image", "last_frame_image"]);
  });

  it("accepts an absolute path", () => {
    const absolute = join(FIXTURES_DIR, "red.png");
    const report = checkLite({ image: absolute });
    expect(report.ok).toBe(true);
    expect(report.entry?.input.image).toBe(absolute);
  });

  it("finds local files inside reference_images", () => {
    const report = checkImg2video({
      reference_images: [
        { image: "https://example.com/a.png", reference_type: "asset" },
        { image: "images/pixel.webp", reference_type: "asset" },
      ],
    });
    expect(report.ok).toBe(true);
    expect(report.entry?.localImages).toEqual(["reference_images[1].image"]);
    const refs = report.entry?.input.reference_images as { image: string }[];
    expect(refs[0]?.image).toBe("https://example.com/a.png");
    expect(refs[1]?.image).toBe(join(folder.dir, "images", "pixel.webp"));
  });

  it("does not modify the parsed input of a line without local files", () => {
    const input = img2videoInput({ image: "https://example.com/a.png" });
    const report = checkImg2video(input);
    expect(report.entry?.input).toEqual(input);
  });

  it("reports a missing file naming the field and the file", () => {
    const report = checkLite({ image: "images/nope.png" });
    expect(report.errors).toEqual([
      {
        path: "input.image",
        message: `file images/nope.png (${join(folder.dir, "images", "nope.png")}) does not exist`,
      },
    ]);
  });

  it("reports a folder given as a file", () => {
    const report = checkLite({ image: "images" });
    expect(report.errors[0]?.message).toMatch(/is not a regular file$/);
  });

  it("reports an empty file", () => {
    const report = checkLite({ image: "images/empty.png" });
    expect(report.errors[0]?.message).toMatch(/empty\.png\) is empty$/);
  });

  it("reports a file over 20 MB without reading it (sparse file)", () => {
    const sparse = join(folder.dir, "sparse.png");
    writeFileSync(sparse, readFileSync(join(FIXTURES_DIR, "red.png")));
    truncateSync(sparse, MAX_IMAGE_BYTES + 1);
    expect(checkLite({ image: "sparse.png" }).errors).toEqual([
      {
        path: "input.image",
        message: `file sparse.png (${sparse}) is 20.0 MB (${MAX_IMAGE_BYTES + 1} bytes); at most 20 MB is allowed`,
      },
    ]);
  });

  it("accepts a file of exactly 20 MB", () => {
    const sparse = join(folder.dir, "exact.png");
    writeFileSync(sparse, readFileSync(join(FIXTURES_DIR, "red.png")));
    truncateSync(sparse, MAX_IMAGE_BYTES);
    expect(checkLite({ image: "exact.png" }).ok).toBe(true);
  });

  it("rejects a GIF or WebP file on Lite but accepts them on img2video", () => {
    const gif = checkLite({ image: "images/pixel.gif" });
    expect(gif.errors).toEqual([
      {
        path: "input.image",
        message: expect.stringMatching(/pixel\.gif\) must be jpeg or png \(got gif\)$/),
      },
    ]);
    expect(checkLite({ last_frame_image: "images/pixel.webp" }).errors[0]?.path).toBe(
      "input.last_frame_image",
    );
    expect(checkImg2video({ image: "images/pixel.gif", last_image: "images/pixel.webp" }).ok).toBe(
      true,
    );
  });

  it("judges the format from the bytes, not the name", () => {
    const report = checkImg2video({ image: "images/not-an-image.txt" });
    expect(report.errors[0]?.message).toMatch(/not-an-image\.txt\) is not a recognised image/);
    const renamed = join(folder.dir, "really-a-gif.png");
    writeFileSync(renamed, readFileSync(join(FIXTURES_DIR, "pixel.gif")));
    expect(checkLite({ image: "really-a-gif.png" }).errors[0]?.message).toMatch(/got gif/);
  });

  it("applies the format rule per endpoint even when the same file is cached", () => {
    const ctx = contextIn(folder.dir);
    const ok = validateManifestLineSync(
      manifestLine("a", IMG2VIDEO, img2videoInput({ image: "images/pixel.gif" })),
      1,
      ctx,
    );
    expect(ok.ok).toBe(true);
    expect(checkLite({ image: "images/pixel.gif" }, ctx).ok).toBe(false);
  });

  it("checks a file once per context (the verdict is cached)", () => {
    const ctx = contextIn(folder.dir);
    const copy = join(folder.dir, "cached.png");
    writeFileSync(copy, readFileSync(join(FIXTURES_DIR, "red.png")));
    expect(checkLite({ image: "cached.png" }, ctx).ok).toBe(true);
    writeFileSync(copy, "no longer an image");
    expect(checkLite({ image: "cached.png" }, ctx).ok).toBe(true);
    expect(checkLite({ image: "cached.png" }, contextIn(folder.dir)).ok).toBe(false);
  });

  it("skips file checks when checkFiles is false, still resolving the path", () => {
    const ctx = createManifestContext({ manifestDir: folder.dir, checkFiles: false });
    const report = checkLite({ image: "images/nope.png" }, ctx);
    expect(report.ok).toBe(true);
    expect(report.entry?.input.image).toBe(join(folder.dir, "images", "nope.png"));
    expect(report.entry?.localImages).toContain("image");
  });

  it("leaves wrongly typed or empty image values to the endpoint's schema", () => {
    expect(checkLite({ image: "" }).errors).toEqual([
      { path: "input.image", message: "must not be empty" },
    ]);
    expect(checkLite({ image: 5 }).errors.map((issue) => issue.path)).toEqual(["input.image"]);
  });

  it("does not echo a huge value that is neither base64 nor a path", () => {
    const report = checkImg2video({ image: `${pngBase64}!`.repeat(1000) });
    expect(report.errors).toEqual([
      {
        path: "input.image",
        message: "is neither a URL, a data URI, valid base64 nor a file path",
      },
    ]);
  });
});
