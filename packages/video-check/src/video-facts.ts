/** What a saved video is, as read from its MP4 container. */
export interface VideoFacts {
  /** Movie duration (mvhd), in seconds. */
  durationSeconds: number;
  /** Frame size of the first video track, in pixels. */
  width: number;
  height: number;
  /** RFC 6381 codec strings of every track, e.g. `["avc1.640028", "mp4a.40.2"]`. */
  codecs: string[];
  /** Whether the file has an audio track. */
  audio: boolean;
}
