import { open } from "node:fs/promises";
import { createFile, type Movie, MP4BoxBuffer } from "mp4box";
import type { VideoFacts } from "./video-facts.ts";

/** Bytes read per step; mdat payloads are skipped, not read. */
const CHUNK_BYTES = 1024 * 1024;

/** A file that is not a complete, readable MP4 video. */
export interface UnreadableVideo {
  /** What is wrong, for the item's error message. */
  problem: string;
  /** Whether the container declares more bytes than the file has (a cut-off transfer, say). */
  truncated: boolean;
}

/**
 * Random access to a video's bytes wherever they are: a file on disk (`fileVideoBytes`), an
 * object in a bucket read by ranges. The reader asks for the head, the box headers and the moov,
 * never the media data, so a remote read is a few small requests.
 */
export interface VideoBytes {
  /** Total size in bytes. */
  size: number;
  /** Up to `length` bytes from `position` (fewer only at the end). */
  read(position: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

/** A file on disk as VideoBytes. */
export async function fileVideoBytes(filePath: string): Promise<VideoBytes> {
  const handle = await open(filePath, "r");
  try {
    const size = (await handle.stat()).size;
    return {
      size,
      async read(position, length) {
        const chunk = Buffer.alloc(length);
        const { bytesRead } = await handle.read(chunk, 0, length, position);
        return chunk.subarray(0, bytesRead);
      },
      close: () => handle.close(),
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

export type VideoReading =
  | { ok: true; facts: VideoFacts }
  | { ok: false; unreadable: UnreadableVideo };

function unreadable(problem: string, truncated = false): VideoReading {
  return { ok: false, unreadable: { problem, truncated } };
}

function printable(head: Buffer): string {
  const text = head
    .toString("latin1")
    .replace(/[^\x20-\x7e]+/g, "·")
    .trim();
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/**
 * Reads a saved file with mp4box (GPAC's MP4 parser), walking its boxes and skipping media data,
 * and checks the container is whole: a moov box, every top-level box and every sample of every
 * track inside the file. Then takes its duration, frame size, codecs and audio.
 */
export async function readVideoFacts(source: string | VideoBytes): Promise<VideoReading> {
  const bytes = typeof source === "string" ? await fileVideoBytes(source) : source;
  try {
    const size = bytes.size;
    const mp4 = createFile(false);
    let parseError: string | undefined;
    mp4.onError = (_module, message) => {
      parseError = message;
    };
    const head = size === 0 ? Buffer.alloc(0) : await bytes.read(0, Math.min(size, 64));
    let position = 0;
    while (position < size && parseError === undefined) {
      const chunk = await bytes.read(position, Math.min(CHUNK_BYTES, size - position));
      const bytesRead = chunk.length;
      if (bytesRead === 0) break;
      const copy = new ArrayBuffer(bytesRead);
      new Uint8Array(copy).set(chunk);
      const buffer = MP4BoxBuffer.fromArrayBuffer(copy, position);
      const next = mp4.appendBuffer(buffer, position + bytesRead >= size);
      // mp4box asks for the next position it needs: past an mdat it jumps over the payload.
      position = next > position ? next : position + bytesRead;
    }
    mp4.flush();

    if (head.toString("latin1", 4, 8) !== "ftyp") {
      return unreadable(`not an MP4 file (${size} bytes starting "${printable(head)}")`);
    }
    if (parseError !== undefined) return unreadable(`not a readable MP4: ${parseError}`);
    for (const box of mp4.boxes) {
      const end = (box.start ?? 0) + (box.size ?? 0);
      if (end > size) {
        return unreadable(
          `incomplete: its ${box.type} box ends at byte ${end}, the file has ${size}`,
          true,
        );
      }
    }
    const movie: Movie = mp4.getInfo();
    if (!movie.hasMoov) {
      return unreadable(
        `incomplete: no moov box in ${size} bytes (cut off, or not a finished video)`,
        true,
      );
    }
    for (const track of movie.tracks) {
      for (const sample of mp4.getTrackSamplesInfo(track.id)) {
        if (sample.offset + sample.size > size) {
          return unreadable(
            `incomplete: track ${track.id} has media up to byte ${sample.offset + sample.size}, the file has ${size}`,
            true,
          );
        }
      }
    }
    const video = movie.videoTracks[0];
    if (video?.video === undefined) return unreadable("not a video: the MP4 has no video track");
    const durationSeconds =
      movie.timescale > 0 && movie.duration > 0
        ? movie.duration / movie.timescale
        : video.duration / Math.max(1, video.timescale);
    return {
      ok: true,
      facts: {
        durationSeconds: Math.round(durationSeconds * 1000) / 1000,
        width: video.video.width,
        height: video.video.height,
        codecs: movie.tracks.map((track) => track.codec),
        audio: movie.audioTracks.length > 0,
      },
    };
  } finally {
    await bytes.close();
  }
}
