export { compareVideo, DURATION_TOLERANCE_SECONDS } from "./compare-video.ts";
export { readVideoFacts, type UnreadableVideo, type VideoReading } from "./read-video-facts.ts";
export { type VideoVerdict, verifyVideo } from "./verify-video.ts";
export type { VideoFacts } from "./video-facts.ts";
