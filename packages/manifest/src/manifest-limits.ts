import { MAX_IMAGE_BYTES } from "@veoq/contract";

/**
 * Every size limit a manifest line is checked against, in one place. The request limits the
 * provider's contract sets live in @veoq/contract and are re-exported here:
 *
 * | limit                  | value                         | checked on                          |
 * | ---------------------- | ----------------------------- | ----------------------------------- |
 * | `MAX_LINE_BYTES`       | 5 base64 images + 1 MiB       | a line, in UTF-8 bytes (streamed)   |
 * | `MAX_PROMPT_CHARS`     | 20,000                        | `input.prompt`, `input.negative_prompt` |
 * | `MAX_IMAGE_BYTES`      | 20 MiB                        | one image's decoded bytes           |
 * | `MAX_CUSTOM_ID_LENGTH` | 128                           | `custom_id`                         |
 * | `MAX_METADATA_BYTES`   | 16 KiB                        | `metadata` as JSON                  |
 * | `MAX_PATH_CHARS`       | 4096                          | a local image path                  |
 */
export { MAX_IMAGE_BYTES, MAX_PROMPT_CHARS } from "@veoq/contract";

/** Most images one request can carry: image, last frame, and three reference images. */
const MAX_IMAGES_PER_LINE = 5;

/** Length of `bytes` bytes as base64 text. */
function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

/**
 * Longest manifest line, in UTF-8 bytes: room for five images of `MAX_IMAGE_BYTES` inlined as
 * base64 data URIs, plus 1 MiB for the rest. A longer line is rejected while it streams past,
 * without holding it in memory (about 134 MiB).
 */
export const MAX_LINE_BYTES = MAX_IMAGES_PER_LINE * base64Length(MAX_IMAGE_BYTES) + 1024 * 1024;

/** Longest allowed `custom_id`. */
export const MAX_CUSTOM_ID_LENGTH = 128;

/** Largest allowed `metadata`, measured as its serialized JSON in UTF-8 bytes (16 KiB). */
export const MAX_METADATA_BYTES = 16 * 1024;

/** Longer image values cannot be file paths (PATH_MAX on Linux is 4096). */
export const MAX_PATH_CHARS = 4096;
