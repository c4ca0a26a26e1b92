import { MAX_IMAGE_BYTES } from "@veoq/contract";

const MIB = 1024 * 1024;

/**
 * "is 20.0 MB (20971521 bytes); at most 20 MB is allowed", worded like the contract's
 * `checkImageBytes`, for files whose size is known from `stat` without reading them.
 */
export function describeOversize(size: number): string {
  return `is ${(size / MIB).toFixed(1)} MB (${size} bytes); at most ${MAX_IMAGE_BYTES / MIB} MB is allowed`;
}
