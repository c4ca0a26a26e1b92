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
export async function readVideoFacts(filePath: string): Promise<VideoReading> {
  const handle = await open(filePath, "r");
  try {
    const size = (await handle.stat()).size;
    const mp4 = createFile(false);
    let parseError: string | undefined;
    mp4.onError = (_module, message) => {
      parseError = message;
    };
    const head = Buffer.alloc(Math.min(size, 64));
    await handle.read(head, 0, head.length, 0);
    let position = 0;
    while (position < size && parseError === undefined) {
      const chunk = Buffer.alloc(Math.min(CHUNK_BYTES, size - position));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
      if (bytesRead === 0) break;
      const buffer = MP4BoxBuffer.fromArrayBuffer(chunk.buffer.slice(0, bytesRead), position);
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
    await handle.close();
  }
}
