import type { Stats } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import {
  checkImageBytes,
  describeOversize,
  type EndpointSlug,
  imageValuesOf,
  MAX_IMAGE_BYTES,
} from "@veoq/contract";
import { describeFileError } from "./describe-file-error.ts";
import { readImageField, replaceImageField } from "./image-field-path.ts";
import type { ImageFileCache } from "./image-file-cache.ts";
import { ImageFileError } from "./image-file-error.ts";

/**
 * At submit time: returns a provider-ready body where each local image (paths listed in
 * `localImages`, values absolute file paths as `validateManifest` left them) is replaced by its
 * bytes in base64. Every file is checked again, since it may have been deleted or changed since
 * the entry was enqueued: size from `stat` before reading, then format from the bytes read.
 * Throws `ImageFileError` naming the field and the file. `input` itself is not modified. With a
 * `cache`, a file that `stat` shows unchanged since it was last read and checked is not read again.
 * A value that is an object-store URI (`s3://...`, put there by an enqueue with VEOQ_OUTPUT_URL)
 * is read with `readStored` and passes the same byte checks.
 */
export async function inlineLocalImages(
  model: EndpointSlug,
  input: Record<string, unknown>,
  localImages: readonly string[],
  cache?: ImageFileCache,
  readStored?: (uri: string) => Promise<Buffer>,
): Promise<Record<string, unknown>> {
  if (localImages.length === 0) return input;
  const formatRules = new Map<string, boolean>();
  for (const image of imageValuesOf(model, input)) formatRules.set(image.path, image.jpegPngOnly);
  const encoded = new Map<string, string>();
  let body = input;
  for (const field of localImages) {
    const file = readImageField(input, field);
    if (typeof file !== "string") {
      throw new ImageFileError(field, String(file), "is not a file path in the input");
    }
    const jpegPngOnly = formatRules.get(field) ?? false;
    const key = `${jpegPngOnly ? 1 : 0}:${file}`;
    let base64 = encoded.get(key);
    if (base64 === undefined) {
      base64 = file.startsWith("s3://")
        ? await readStoredImage(field, file, jpegPngOnly, readStored)
        : await readImageFile(field, file, jpegPngOnly, key, cache);
      encoded.set(key, base64);
    }
    body = replaceImageField(body, field, base64);
  }
  return body;
}

/** The file's bytes in base64, after the checks; `cacheKey` names the file and its format rule. */
async function readImageFile(
  field: string,
  file: string,
  jpegPngOnly: boolean,
  cacheKey: string,
  cache: ImageFileCache | undefined,
): Promise<string> {
  let stats: Stats;
  let bytes: Buffer;
  try {
    stats = await stat(file);
    if (!stats.isFile()) throw new ImageFileError(field, file, "is not a regular file");
    if (stats.size > MAX_IMAGE_BYTES) {
      throw new ImageFileError(field, file, describeOversize(stats.size));
    }
    const cached = cache?.get(cacheKey, stats);
    if (cached !== undefined) return cached;
    bytes = await readFile(file);
  } catch (error) {
    if (error instanceof ImageFileError) throw error;
    throw new ImageFileError(field, file, describeFileError(error), { cause: error });
  }
  if (bytes.length === 0) throw new ImageFileError(field, file, "is empty");
  const problem = checkImageBytes(bytes, { jpegPngOnly });
  if (problem !== undefined) throw new ImageFileError(field, file, problem);
  const base64 = bytes.toString("base64");
  cache?.set(cacheKey, stats, base64);
  return base64;
}

/** An image stored by the enqueue in the object store, in base64, after the same checks. */
async function readStoredImage(
  field: string,
  uri: string,
  jpegPngOnly: boolean,
  readStored: ((uri: string) => Promise<Buffer>) | undefined,
): Promise<string> {
  if (readStored === undefined) {
    throw new ImageFileError(
      field,
      uri,
      "is in an object store, but VEOQ_OUTPUT_URL is not set on this worker",
    );
  }
  let bytes: Buffer;
  try {
    bytes = await readStored(uri);
  } catch (error) {
    throw new ImageFileError(
      field,
      uri,
      `cannot be read from the object store: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  if (bytes.length > MAX_IMAGE_BYTES)
    throw new ImageFileError(field, uri, describeOversize(bytes.length));
  if (bytes.length === 0) throw new ImageFileError(field, uri, "is empty");
  const problem = checkImageBytes(bytes, { jpegPngOnly });
  if (problem !== undefined) throw new ImageFileError(field, uri, problem);
  return bytes.toString("base64");
}
