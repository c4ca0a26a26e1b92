import type { TaskResultOutput } from "@veoq/contract";
import type { DownloadOutput } from "./job-data.ts";

/**
 * The outputs of a finished task as the download job keeps them: URL, type, and when the URL
 * expires (real ms; `realMsOf` turns the provider's TTL in provider seconds into real ms).
 */
export function downloadOutputsOf(
  videos: readonly TaskResultOutput[],
  now: number,
  realMsOf: (providerSeconds: number) => number,
): DownloadOutput[] {
  return videos.map((video, index) => ({
    index,
    url: video.url,
    type: video.type,
    expiresAt: video.ttlSeconds === undefined ? undefined : now + realMsOf(video.ttlSeconds),
  }));
}

/**
 * BullMQ priority (1 = first) from the time left before the soonest URL expires, in seconds:
 * downloads whose URLs expire soonest go first. Unknown expiry goes last.
 */
export function expiryPriority(expiresAt: number, now: number): number {
  if (!Number.isFinite(expiresAt)) return 2_000_000;
  return Math.max(1, Math.min(2_000_000, Math.round((expiresAt - now) / 1000)));
}
