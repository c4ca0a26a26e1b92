/** Largest image the provider accepts (the Lite doc's 20 MB, applied to every endpoint). */
export const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

export type ImageFormat = "jpeg" | "png" | "gif" | "webp" | "bmp" | "heic" | "avif" | "tiff";

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + signature.length) return false;
  return signature.every((byte, index) => bytes[offset + index] === byte);
}

function ascii(text: string): number[] {
  return [...text].map((char) => char.charCodeAt(0));
}

function readAscii(bytes: Uint8Array, start: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(start, start + length));
}

const HEIC_BRANDS = new Set([
  "heic",
  "heix",
  "hevc",
  "hevx",
  "heim",
  "heis",
  "hevm",
  "hevs",
  "mif1",
  "msf1",
]);
const AVIF_BRANDS = new Set(["avif", "avis"]);

/** Reads an ISO-BMFF `ftyp` box (HEIC, AVIF) and names the format from its brands. */
function sniffFtyp(bytes: Uint8Array): ImageFormat | undefined {
  if (!startsWith(bytes, ascii("ftyp"), 4)) return undefined;
  const declared =
    ((bytes[0] ?? 0) << 24) | ((bytes[1] ?? 0) << 16) | ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0);
  const boxEnd = Math.min(bytes.length, declared >>> 0);
  const brands = [readAscii(bytes, 8, 4)];
  for (let offset = 16; offset + 4 <= boxEnd; offset += 4) brands.push(readAscii(bytes, offset, 4));
  if (brands.some((brand) => AVIF_BRANDS.has(brand))) return "avif";
  if (brands.some((brand) => HEIC_BRANDS.has(brand))) return "heic";
  return undefined;
}

/** Names an image format from its magic bytes only (never from a file name). */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "jpeg";
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "png";
  if (startsWith(bytes, ascii("GIF87a")) || startsWith(bytes, ascii("GIF89a"))) return "gif";
  if (startsWith(bytes, ascii("RIFF")) && startsWith(bytes, ascii("WEBP"), 8)) return "webp";
  if (startsWith(bytes, ascii("BM")) && bytes.length >= 26) return "bmp";
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) {
    return "tiff";
  }
  return sniffFtyp(bytes);
}

const MIB = 1024 * 1024;

/**
 * "is 20.0 MB (20971521 bytes); at most 20 MB is allowed": the message of an image over the
 * limit, also for files whose size is known from `stat` without reading them.
 */
export function describeOversize(size: number): string {
  return `is ${(size / MIB).toFixed(1)} MB (${size} bytes); at most ${MAX_IMAGE_BYTES / MIB} MB is allowed`;
}

/**
 * Checks an image's bytes against the provider's limits. Returns an error message that reads
 * well after a path (`image: must be jpeg or png (got webp)`), or `undefined` when the image is fine.
 */
export function checkImageBytes(
  bytes: Uint8Array,
  opts: {
    /** Accept only JPEG and PNG (the Lite endpoint); otherwise any recognised image. */
    jpegPngOnly: boolean;
  },
): string | undefined {
  if (bytes.length === 0) return "is empty";
  if (bytes.length > MAX_IMAGE_BYTES) return describeOversize(bytes.length);
  const format = sniffImageFormat(bytes);
  if (format === undefined) {
    return opts.jpegPngOnly
      ? "is not a recognised image; must be jpeg or png"
      : "is not a recognised image (jpeg, png, gif, webp, bmp, heic, avif or tiff)";
  }
  if (opts.jpegPngOnly && format !== "jpeg" && format !== "png") {
    return `must be jpeg or png (got ${format})`;
  }
  return undefined;
}

/** How an image is given inline in a request: a URL, a `data:` URI, or raw base64. */
export type InlineImage =
  | { kind: "url"; url: string }
  | { kind: "data-uri"; mediaType: string; base64: string }
  | { kind: "base64"; base64: string };

/** Shortest string taken for raw base64 (shorter ones are more likely names or paths). */
const MIN_RAW_BASE64_CHARS = 16;

const BASE64_PATTERN = /^[A-Za-z0-9+/]*(={0,2})$/;

/** Whether `value` is standard base64: strict charset, `=` only as final padding, valid length. */
function isStrictBase64(value: string): boolean {
  const match = BASE64_PATTERN.exec(value);
  if (match === null || value.length === 0) return false;
  const padding = match[1]?.length ?? 0;
  if (padding > 0) return value.length % 4 === 0;
  return value.length % 4 !== 1;
}

const DATA_URI_PATTERN = /^data:([a-z0-9.+-]+\/[a-z0-9.+-]+)((?:;[^;,]*)*);base64,(.*)$/is;

/**
 * Classifies an image field's value: an http(s) URL, a `data:<type>;base64,` URI, or raw base64
 * (strict charset and padding, at least 16 characters). Returns `undefined` for anything else,
 * such as a local file path.
 */
export function classifyInlineImage(value: string): InlineImage | undefined {
  if (/^https?:\/\//i.test(value)) {
    if (!URL.canParse(value)) return undefined;
    return { kind: "url", url: value };
  }
  const dataUri = DATA_URI_PATTERN.exec(value);
  if (dataUri !== null) {
    const mediaType = (dataUri[1] ?? "").toLowerCase();
    const base64 = dataUri[3] ?? "";
    return isStrictBase64(base64) ? { kind: "data-uri", mediaType, base64 } : undefined;
  }
  if (value.length >= MIN_RAW_BASE64_CHARS && isStrictBase64(value)) {
    return { kind: "base64", base64: value };
  }
  return undefined;
}

/** Decodes standard base64, or returns `undefined` when the text is not strictly valid base64. */
export function decodeBase64Strict(base64: string): Buffer | undefined {
  if (!isStrictBase64(base64)) return undefined;
  return Buffer.from(base64, "base64");
}
