import { createHash, hash } from "node:crypto";
import { readFile } from "node:fs/promises";
import {
  type ManifestEntry,
  readImageField,
  replaceImageField,
  replaceLocalImagePaths,
} from "@veoq/manifest";
import { EnqueueError } from "./enqueue-error.ts";

/**
 * What makes two manifest lines the same render, and so the same money (issue 13): the model and
 * every input field, with each local image replaced by the sha256 of its bytes (so a copied
 * manifest, or one naming the same picture by another path, matches), the seed included as the
 * input field it is. custom_id and metadata are not part of it. A line without a seed matches
 * another line without one: the provider would render the same request again.
 *
 * The fingerprint is the sha256 of that request as canonical JSON (keys sorted), cut to 96 bits
 * and written in base64url (16 characters): it is stored on every submit job and in the request
 * index, so its length is Redis memory per job.
 */
export async function requestFingerprint(
  entry: Pick<ManifestEntry, "model" | "input" | "localImages">,
  imageHashes: Map<string, Promise<string>>,
): Promise<string> {
  // An image already stored in the bucket is named by its content hash (inputs/<sha256>).
  const input = await replaceLocalImagePaths(
    entry.input,
    entry.localImages,
    imageHashes,
    async (file) => `sha256:${await hashImageFile(file)}`,
  );
  return requestKeyOf(canonicalJson({ model: entry.model, input }));
}

async function hashImageFile(file: string): Promise<string> {
  try {
    return createHash("sha256")
      .update(await readFile(file))
      .digest("hex");
  } catch (error) {
    throw new EnqueueError(`cannot read image ${file}: ${(error as Error).message}`);
  }
}

/** JSON with object keys sorted at every level, so equal requests give equal text. */
export function canonicalJson(value: unknown): string {
  // A copy with every object's keys inserted in sorted order, written by one JSON.stringify: the
  // same text as writing each key and value in turn (canonicalJsonByKey), in far fewer calls
  // (hot: once per line in the enqueue).
  const sorted = sortedCopy(value);
  return sorted === DIGIT_KEY ? canonicalJsonByKey(value) : (JSON.stringify(sorted) ?? "null");
}

/** canonicalJson written key by key: for objects with keys that an object cannot hold in order. */
function canonicalJsonByKey(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) {
      out += (i === 0 ? "" : ",") + canonicalJsonByKey(value[i]);
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  // The default sort orders by UTF-16 code units, as `<` does on strings.
  const keys = Object.keys(record).sort();
  let out = "{";
  let first = true;
  for (const key of keys) {
    const field = record[key];
    if (field === undefined) continue;
    out += `${first ? "" : ","}${JSON.stringify(key)}:${canonicalJsonByKey(field)}`;
    first = false;
  }
  return `${out}}`;
}

/** sortedCopy's answer for a value with an object key starting with a digit. */
const DIGIT_KEY = Symbol("digit key");

/**
 * `value` with the keys of every object inserted in sorted order (undefined fields left out, as
 * both writers leave them out; in arrays both write null). An object lists keys that are array
 * indices ("0", "12") first whatever the insertion order, so a value with any key starting with
 * a digit is DIGIT_KEY instead (written key by key). Arrays and values are shared, not copied,
 * where nothing under them changes.
 */
function sortedCopy(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const sorted = sortedCopy(item);
      if (sorted === DIGIT_KEY) return DIGIT_KEY;
      if (sorted !== item && copy === undefined) copy = value.slice(0, i);
      copy?.push(sorted);
    }
    return copy ?? value;
  }
  const record = value as Record<string, unknown>;
  // The default sort orders by UTF-16 code units, as `<` does on strings.
  const keys = Object.keys(record).sort();
  const copy: Record<string, unknown> = {};
  for (const key of keys) {
    const first = key.charCodeAt(0);
    if (first >= 0x30 && first <= 0x39) return DIGIT_KEY;
    const field = record[key];
    if (field === undefined) continue;
    const sorted = sortedCopy(field);
    if (sorted === DIGIT_KEY) return DIGIT_KEY;
    copy[key] = sorted;
  }
  return copy;
}

/**
 * The request keys of one manifest, line by line in manifest order. The n-th line (from 0) with
 * a given request gets the key of `fingerprint + "#" + n` (the fingerprint itself for n = 0):
 * identical lines in one manifest are meant as separate renders (variations without a seed), so
 * each is its own request, and a copy of the manifest maps its k-th such line to the k-th render.
 * Keeps one count per distinct request of the manifest, keyed by 60 bits of the fingerprint
 * (RequestOccurrences: 8-16 bytes each, 16 MB for 1,000,000 lines). Two requests sharing those
 * 60 bits would only share their occurrence count: each line still gets a key of its own.
 */
export class RequestFingerprints {
  private readonly seen = new RequestOccurrences();
  private readonly imageHashes = new Map<string, Promise<string>>();
  /** What `imageHashes` resolved to (`sha256:<hex>`), by path. */
  private readonly knownImageHashes = new Map<string, string>();

  async next(entry: Pick<ManifestEntry, "model" | "input" | "localImages">): Promise<string> {
    const known = this.nextKnown(entry);
    if (known !== undefined) return known;
    const fingerprint = await requestFingerprint(entry, this.imageHashes);
    for (const field of entry.localImages) {
      const file = readImageField(entry.input, field);
      const hash = typeof file === "string" ? this.imageHashes.get(file) : undefined;
      if (typeof file === "string" && hash !== undefined) {
        this.knownImageHashes.set(file, await hash);
      }
    }
    return this.keyOf(fingerprint);
  }

  /**
   * `next`, without waiting, when every local image of the line was hashed already (the common
   * case: a manifest names few files): undefined (and nothing counted) when one must be read.
   */
  nextKnown(entry: Pick<ManifestEntry, "model" | "input" | "localImages">): string | undefined {
    let input = entry.input;
    for (const field of entry.localImages) {
      const file = readImageField(entry.input, field);
      if (typeof file !== "string" || file.startsWith("s3://")) continue;
      const hash = this.knownImageHashes.get(file);
      if (hash === undefined) return undefined;
      input = replaceImageField(input, field, hash);
    }
    return this.keyOf(requestKeyOf(canonicalJson({ model: entry.model, input })));
  }

  private keyOf(fingerprint: string): string {
    const n = this.seen.count(fingerprint);
    return n === 0 ? fingerprint : requestKeyOf(`${fingerprint}#${n}`);
  }
}

const EMPTY_SLOT = 0;
const FIRST_SLOTS = 1 << 12;

/**
 * How many times each fingerprint was counted before, by 60 bits of it (its first ten base64url
 * characters, as two 30-bit halves): an open-addressing table of the halves in two Uint32Arrays
 * (load at most 1/2), and the counts of the few fingerprints seen more than once in a Map. About
 * 16 bytes per distinct fingerprint at most, against ~38 in an AsciiKeyMap of 11-character keys.
 */
class RequestOccurrences {
  private high = new Uint32Array(FIRST_SLOTS);
  private low = new Uint32Array(FIRST_SLOTS);
  private size = 0;
  /** Occurrences counted so far, for fingerprints counted more than once (`high:low`). */
  private readonly repeats = new Map<string, number>();

  /** Counts `fingerprint`; returns how many times it was counted before. */
  count(fingerprint: string): number {
    // Bit 30 set: a taken slot is never 0.
    const high = (sixBits(fingerprint, 0, 5) | 0x40000000) >>> 0;
    const low = sixBits(fingerprint, 5, 10);
    const mask = this.high.length - 1;
    let slot = (Math.imul(high ^ low, 0x9e3779b1) >>> 0) & mask;
    for (;;) {
      const taken = this.high[slot] ?? EMPTY_SLOT;
      if (taken === EMPTY_SLOT) break;
      if (taken === high && this.low[slot] === low) {
        const key = `${high}:${low}`;
        const before = this.repeats.get(key) ?? 1;
        this.repeats.set(key, before + 1);
        return before;
      }
      slot = (slot + 1) & mask;
    }
    this.high[slot] = high;
    this.low[slot] = low;
    if (++this.size > this.high.length / 2) this.grow();
    return 0;
  }

  private grow(): void {
    const [high, low] = [this.high, this.low];
    this.high = new Uint32Array(high.length * 2);
    this.low = new Uint32Array(low.length * 2);
    const mask = this.high.length - 1;
    for (let i = 0; i < high.length; i++) {
      const h = high[i] ?? EMPTY_SLOT;
      if (h === EMPTY_SLOT) continue;
      const l = low[i] ?? 0;
      let slot = (Math.imul(h ^ l, 0x9e3779b1) >>> 0) & mask;
      while (this.high[slot] !== EMPTY_SLOT) slot = (slot + 1) & mask;
      this.high[slot] = h;
      this.low[slot] = l;
    }
  }
}

/** The 6-bit value of each base64url character, by character code. */
const BASE64URL_VALUES = (() => {
  const values = new Uint8Array(128);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (let i = 0; i < alphabet.length; i++) values[alphabet.charCodeAt(i)] = i;
  return values;
})();

/** Characters `from` to `to` (at most five) of a base64url text as one number of 6 bits each. */
function sixBits(text: string, from: number, to: number): number {
  let bits = 0;
  for (let i = from; i < to; i++)
    bits = (bits << 6) | (BASE64URL_VALUES[text.charCodeAt(i) & 0x7f] ?? 0);
  return bits >>> 0;
}

/** 96 bits of sha256, base64url: 16 characters. */
function requestKeyOf(text: string): string {
  // 12 bytes are exactly 16 base64url characters: the first 16 of the whole digest's.
  return hash("sha256", text, "base64url").slice(0, 16);
}
