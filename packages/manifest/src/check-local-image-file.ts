import { closeSync, openSync, readSync, statSync } from "node:fs";
import { checkImageBytes, describeOversize, MAX_IMAGE_BYTES } from "@veoq/contract";
import { describeFileError } from "./describe-file-error.ts";

/** How many leading bytes are read to recognise an image format. */
export const IMAGE_HEADER_BYTES = 64;

/**
 * Checks a local image file without reading it whole: `stat` for existence, kind and size,
 * then the first `IMAGE_HEADER_BYTES` for the format. Synchronous on purpose: callers cache the
 * verdict per file, so this runs once per distinct file, and the line loop stays free of awaits.
 * Returns why the file cannot be used, or `undefined` when it can.
 */
export function checkLocalImageFile(
  absolutePath: string,
  jpegPngOnly: boolean,
): string | undefined {
  let size: number;
  try {
    const stats = statSync(absolutePath);
    if (!stats.isFile()) return "is not a regular file";
    size = stats.size;
  } catch (error) {
    return describeFileError(error);
  }
  if (size === 0) return "is empty";
  if (size > MAX_IMAGE_BYTES) {
    return describeOversize(size);
  }
  let header: Buffer;
  try {
    header = readFileHeader(absolutePath, Math.min(size, IMAGE_HEADER_BYTES));
  } catch (error) {
    return describeFileError(error);
  }
  if (header.length === 0) return "is empty";
  return checkImageBytes(header, { jpegPngOnly });
}

function readFileHeader(absolutePath: string, length: number): Buffer {
  const fd = openSync(absolutePath, "r");
  try {
    const header = Buffer.alloc(length);
    const read = readSync(fd, header, 0, length, 0);
    return header.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}
