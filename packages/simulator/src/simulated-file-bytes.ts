import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { endianness } from "node:os";
import path from "node:path";
import { assetPath } from "@veoq/assets";
import type { RequestedVideo } from "@veoq/contract";

const IS_BIG_ENDIAN = endianness() === "BE";

/** Where fixtures/make-videos.sh leaves the base videos, one per shape. */
const VIDEOS_DIR = assetPath("packages/simulator/fixtures/videos");

const baseVideos = new Map<string, Buffer>();

/** The committed base video of this shape (read once, then kept: 24 files of ~3 KB). */
export function baseVideoOf(video: RequestedVideo): Buffer {
  const name = `${video.width}x${video.height}-${video.durationSeconds}s-${video.audio ? "audio" : "mute"}.mp4`;
  let bytes = baseVideos.get(name);
  if (bytes === undefined) {
    bytes = readFileSync(path.join(VIDEOS_DIR, name));
    baseVideos.set(name, bytes);
  }
  return bytes;
}

function boxOf(type: string, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + payload.length, 0);
  header.write(type, 4, "latin1");
  return Buffer.concat([header, payload]);
}

/** Deterministic filler bytes (xorshift32 seeded from a hash of the task id and index). */
function fillerOf(seedBytes: Buffer, length: number): Buffer {
  const words = new Uint32Array(Math.ceil(length / 4));
  let state = seedBytes.readUInt32BE(0) || 0x9e3779b9;
  for (let i = 0; i < words.length; i += 1) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    words[i] = state >>> 0;
  }
  const bytes = Buffer.from(words.buffer, 0, words.length * 4);
  // Words are laid out little-endian on every platform, so the bytes do not depend on the CPU.
  if (IS_BIG_ENDIAN) bytes.swap32();
  return bytes.subarray(0, length);
}

/**
 * The bytes served for video `index` of task `taskId`: the committed base video of the requested
 * shape (H.264, AAC when `video.audio`; see fixtures/make-videos.sh) followed by a top-level
 * `free` box that names the task and index, padded with deterministic bytes up to `sizeBytes`.
 * Players and parsers skip `free` boxes, so the file stays valid while its bytes differ per task
 * and sample. A pure function of its arguments, and cheap: no encoding at request time.
 */
export function simulatedFileBytes(
  taskId: string,
  index: number,
  video: RequestedVideo,
  sizeBytes: number,
): Buffer {
  const base = baseVideoOf(video);
  const label = Buffer.from(`veoq-simulator task=${taskId} index=${index}\n`, "utf8");
  const padding = Math.max(0, sizeBytes - base.length - 8 - label.length);
  const seed = createHash("sha256").update(`${taskId}\n${index}`).digest();
  return Buffer.concat([base, boxOf("free", Buffer.concat([label, fillerOf(seed, padding)]))]);
}
