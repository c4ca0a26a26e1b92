import { describe, expect, it } from "vitest";
import {
  checkImageBytes,
  classifyInlineImage,
  decodeBase64Strict,
  type ImageFormat,
  MAX_IMAGE_BYTES,
  sniffImageFormat,
} from "../src/index.ts";

/** Bytes from a signature padded with zeros to `length`. */
function padded(signature: readonly number[] | string, length = 32): Uint8Array {
  const head =
    typeof signature === "string" ? [...signature].map((c) => c.charCodeAt(0)) : signature;
  const bytes = new Uint8Array(Math.max(length, head.length));
  bytes.set(head);
  return bytes;
}

/** An ISO-BMFF file start: a `ftyp` box with a major brand and compatible brands. */
function ftyp(major: string, compatible: readonly string[]): Uint8Array {
  const text = `ftyp${major}\0\0\0\0${compatible.join("")}`;
  const size = 4 + text.length;
  return padded([0, 0, 0, size, ...[...text].map((c) => c.charCodeAt(0))], size + 8);
}

const SAMPLES: Record<ImageFormat, Uint8Array> = {
  jpeg: padded([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46]),
  png: padded([
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52,
  ]),
  gif: padded("GIF89a\x01\x00\x01\x00"),
  webp: padded("RIFF\x24\x00\x00\x00WEBPVP8 "),
  bmp: padded("BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00"),
  heic: ftyp("heic", ["mif1", "heic"]),
  avif: ftyp("avif", ["mif1", "avif", "miaf"]),
  tiff: padded([0x49, 0x49, 0x2a, 0x00, 0x08, 0x00, 0x00, 0x00]),
};

describe("sniffImageFormat", () => {
  it.each(Object.entries(SAMPLES))("recognises %s from its magic bytes", (format, bytes) => {
    expect(sniffImageFormat(bytes)).toBe(format);
  });

  it("recognises GIF87a, big-endian TIFF, and AVIF/HEIC by compatible brand", () => {
    expect(sniffImageFormat(padded("GIF87a"))).toBe("gif");
    expect(sniffImageFormat(padded([0x4d, 0x4d, 0x00, 0x2a]))).toBe("tiff");
    expect(sniffImageFormat(ftyp("mif1", ["avif"]))).toBe("avif");
    expect(sniffImageFormat(ftyp("mif1", ["miaf"]))).toBe("heic");
  });

  it("rejects other bytes, truncated signatures and other ftyp files", () => {
    expect(sniffImageFormat(new Uint8Array())).toBeUndefined();
    expect(sniffImageFormat(padded("%PDF-1.7"))).toBeUndefined();
    expect(sniffImageFormat(new Uint8Array([0xff, 0xd8]))).toBeUndefined();
    expect(sniffImageFormat(padded("RIFF\x24\x00\x00\x00WAVE"))).toBeUndefined();
    expect(sniffImageFormat(ftyp("isom", ["mp41"]))).toBeUndefined();
    expect(sniffImageFormat(new TextEncoder().encode("BM"))).toBeUndefined();
  });
});

describe("checkImageBytes", () => {
  it("accepts jpeg and png everywhere", () => {
    for (const jpegPngOnly of [true, false]) {
      expect(checkImageBytes(SAMPLES.jpeg, { jpegPngOnly })).toBeUndefined();
      expect(checkImageBytes(SAMPLES.png, { jpegPngOnly })).toBeUndefined();
    }
  });

  it("accepts other real images only when not restricted to jpeg/png", () => {
    expect(checkImageBytes(SAMPLES.webp, { jpegPngOnly: false })).toBeUndefined();
    expect(checkImageBytes(SAMPLES.webp, { jpegPngOnly: true })).toBe(
      "must be jpeg or png (got webp)",
    );
  });

  it("rejects empty, unrecognised and oversized bytes", () => {
    expect(checkImageBytes(new Uint8Array(), { jpegPngOnly: false })).toBe("is empty");
    expect(checkImageBytes(padded("hello world"), { jpegPngOnly: false })).toMatch(
      /not a recognised image/,
    );
    const big = new Uint8Array(MAX_IMAGE_BYTES + 1);
    big.set([0xff, 0xd8, 0xff]);
    expect(checkImageBytes(big, { jpegPngOnly: true })).toBe(
      "is 20.0 MB (20971521 bytes); at most 20 MB is allowed",
    );
    const limit = new Uint8Array(MAX_IMAGE_BYTES);
    limit.set([0xff, 0xd8, 0xff]);
    expect(checkImageBytes(limit, { jpegPngOnly: true })).toBeUndefined();
  });
});

describe("classifyInlineImage", () => {
  it("classifies http(s) URLs", () => {
    expect(classifyInlineImage("https://example.com/a.png")).toEqual({
      kind: "url",
      url: "https://example.com/a.png",
    });
    expect(classifyInlineImage("HTTP://example.com/a.png")?.kind).toBe("url");
    expect(classifyInlineImage("https://")).toBeUndefined();
    expect(classifyInlineImage("ftp://example.com/a.png")).toBeUndefined();
  });

  it("classifies data URIs with base64 payloads", () => {
    expect(classifyInlineImage("data:image/png;base64,iVBORw0KGgo=")).toEqual({
      kind: "data-uri",
      mediaType: "image/png",
      base64: "iVBORw0KGgo=",
    });
    expect(classifyInlineImage("data:Image/JPEG;name=x.jpg;base64,/9j/4A==")).toEqual({
      kind: "data-uri",
      mediaType: "image/jpeg",
      base64: "/9j/4A==",
    });
    expect(classifyInlineImage("data:image/png,rawbytes")).toBeUndefined();
    expect(classifyInlineImage("data:image/png;base64,not base64!")).toBeUndefined();
  });

  it("classifies raw base64 with strict charset and padding", () => {
    expect(classifyInlineImage("iVBORw0KGgoAAAANSUhEUg==")).toEqual({
      kind: "base64",
      base64: "iVBORw0KGgoAAAANSUhEUg==",
    });
    expect(classifyInlineImage("iVBORw0KGgoAAAANSUhE")?.kind).toBe("base64");
    expect(classifyInlineImage("iVBORw0KGgoAAAANSUhEU=")).toBeUndefined(); // bad padding length
    expect(classifyInlineImage("iVBORw0KGgoAAAANSUhEUgA")?.kind).toBe("base64"); // 23 chars, unpadded
    expect(classifyInlineImage("iVBORw0KGgoAAAANSUhEUgAAA")).toBeUndefined(); // length % 4 == 1
    expect(classifyInlineImage("iVBORw0KGgo=AAAANSUhEUg=")).toBeUndefined(); // padding mid-string
    expect(classifyInlineImage("iVBORw0K-_oAAAANSUhEUg==")).toBeUndefined(); // url-safe alphabet
    expect(classifyInlineImage("QUJD")).toBeUndefined(); // too short to tell from a name
  });

  it("returns undefined for file paths", () => {
    expect(classifyInlineImage("./images/first.png")).toBeUndefined();
    expect(classifyInlineImage("/home/me/frames/last.jpg")).toBeUndefined();
    expect(classifyInlineImage("C:\\frames\\last.jpg")).toBeUndefined();
    expect(classifyInlineImage("first.png")).toBeUndefined();
  });
});

describe("decodeBase64Strict", () => {
  it("decodes valid base64", () => {
    expect(decodeBase64Strict("aGVsbG8=")?.toString("utf8")).toBe("hello");
    expect(decodeBase64Strict("aGVsbG8")?.toString("utf8")).toBe("hello");
    expect([...(decodeBase64Strict(Buffer.from(SAMPLES.png).toString("base64")) ?? [])]).toEqual([
      ...SAMPLES.png,
    ]);
  });

  it("rejects anything else", () => {
    expect(decodeBase64Strict("")).toBeUndefined();
    expect(decodeBase64Strict("aGVsbG8=\n")).toBeUndefined();
    expect(decodeBase64Strict("aGVs bG8=")).toBeUndefined();
    expect(decodeBase64Strict("aGVsbG8==")).toBeUndefined();
    expect(decodeBase64Strict("a")).toBeUndefined();
  });
});
