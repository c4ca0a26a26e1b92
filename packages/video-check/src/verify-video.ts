import type { RequestedVideo } from "@veoq/contract";
import { compareVideo } from "./compare-video.ts";
import { readVideoFacts, type VideoBytes } from "./read-video-facts.ts";
import type { VideoFacts } from "./video-facts.ts";

/** The outcome of checking one saved file against its request. */
export type VideoVerdict =
  | { status: "ok"; facts: VideoFacts }
  /** Read fine, but differs from the request (`differences` says how). */
  | { status: "mismatch"; facts: VideoFacts; differences: string[] }
  /** Not a complete MP4 video; `truncated` when the container says bytes are missing. */
  | { status: "invalid"; problem: string; truncated: boolean };

/** Reads the file at `source` (a path, or bytes elsewhere) and compares it with what was asked. */
export async function verifyVideo(
  source: string | VideoBytes,
  asked: RequestedVideo,
): Promise<VideoVerdict> {
  const reading = await readVideoFacts(source);
  if (!reading.ok) return { status: "invalid", ...reading.unreadable };
  const differences = compareVideo(reading.facts, asked);
  return differences.length === 0
    ? { status: "ok", facts: reading.facts }
    : { status: "mismatch", facts: reading.facts, differences };
}
