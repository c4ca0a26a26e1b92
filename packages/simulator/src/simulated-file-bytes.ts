import { createHash } from "node:crypto";
import { endianness } from "node:os";

const IS_BIG_ENDIAN = endianness() === "BE";

/** Duration written into the `mvhd` box: 8 s at a 1000 Hz time scale. */
const MOVIE_TIMESCALE = 1000;
const MOVIE_DURATION = 8000;

function boxOf(type: string, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + payload.length, 0);
  header.write(type, 4, "latin1");
  return Buffer.concat([header, payload]);
}

function ftypBox(): Buffer {
  const payload = Buffer.alloc(16);
  payload.write("isom", 0, "latin1");
  payload.writeUInt32BE(0x200, 4);
  payload.write("isom", 8, "latin1");
  payload.write("mp41", 12, "latin1");
  return boxOf("ftyp", payload);
}

function moovBox(): Buffer {
  // mvhd version 0: flags, times, timescale, duration, rate, volume, reserved, matrix, pre_defined, next_track_ID.
  const mvhd = Buffer.alloc(100);
  mvhd.writeUInt32BE(0, 0); // version + flags
  mvhd.writeUInt32BE(0, 4); // creation_time
  mvhd.writeUInt32BE(0, 8); // modification_time
  mvhd.writeUInt32BE(MOVIE_TIMESCALE, 12);
  mvhd.writeUInt32BE(MOVIE_DURATION, 16);
  mvhd.writeUInt32BE(0x00010000, 20); // rate 1.0
  mvhd.writeUInt16BE(0x0100, 24); // volume 1.0
  const matrix = [0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000];
  matrix.forEach((value, i) => {
    mvhd.writeUInt32BE(value, 36 + i * 4);
  });
  mvhd.writeUInt32BE(2, 96); // next_track_ID
  return boxOf("moov", boxOf("mvhd", mvhd));
}

/** The boxes every simulated file starts with (they do not depend on the task). */
const FTYP_AND_MOOV = Buffer.concat([ftypBox(), moovBox()]);

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
 * The bytes served for video `index` of task `taskId`: a small valid MP4 (ftyp, moov/mvhd, a `free`
 * box naming the task and index, and an `mdat` of deterministic pseudo-random bytes). A pure
 * function of its arguments; `sizeBytes` is the total size, or the boxes' minimum if larger.
 */
export function simulatedFileBytes(taskId: string, index: number, sizeBytes: number): Buffer {
  const seed = createHash("sha256").update(`${taskId}\n${index}`).digest();
  const head = Buffer.concat([
    FTYP_AND_MOOV,
    boxOf("free", Buffer.from(`veoq-simulator task=${taskId} index=${index}`, "utf8")),
  ]);
  const payloadLength = Math.max(0, sizeBytes - head.length - 8);
  return Buffer.concat([head, boxOf("mdat", fillerOf(seed, payloadLength))]);
}
