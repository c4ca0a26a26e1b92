export { compareVideo, DURATION_TOLERANCE_SECONDS } from "./compare-video.ts";
export {
  fileVideoBytes,
  readVideoFacts,
  type UnreadableVideo,
  type VideoBytes,
  type VideoReading,
} from "./read-video-facts.ts";
export { type VideoVerdict, verifyVideo } from "./verify-video.ts";
export type { VideoFacts } from "./video-facts.ts";
