import type { RequestedVideo } from "@veoq/contract";
import type { VideoFacts } from "./video-facts.ts";

/**
 * How far a video's duration may be from the asked one. Encoders round to whole frames and AAC
 * adds priming samples, so a true 8 s video reads 7.96-8.13 s; a wrong choice is 2 s off.
 */
export const DURATION_TOLERANCE_SECONDS = 0.5;

/** Every way the video differs from what was asked, in words; empty when it matches. */
export function compareVideo(facts: VideoFacts, asked: RequestedVideo): string[] {
  const differences: string[] = [];
  if (Math.abs(facts.durationSeconds - asked.durationSeconds) > DURATION_TOLERANCE_SECONDS) {
    differences.push(`duration ${facts.durationSeconds} s, asked ${asked.durationSeconds} s`);
  }
  if (facts.width !== asked.width || facts.height !== asked.height) {
    differences.push(`${facts.width}×${facts.height}, asked ${asked.width}×${asked.height}`);
  }
  if (facts.audio !== asked.audio) {
    differences.push(
      asked.audio ? "no audio track, asked generate_audio" : "an audio track, asked none",
    );
  }
  return differences;
}
