import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { MAX_IMAGE_BYTES } from "@veoq/contract";
import { type ManifestEntry, replaceLocalImagePaths } from "@veoq/manifest";
import type { S3ObjectStore } from "@veoq/object-store";
import { EnqueueError } from "./enqueue-error.ts";

/**
 * With an object store set, a worker on another machine cannot read the manifest's local
 * images: each distinct file is stored once under `<prefix>/inputs/<sha256>` and the entry's
 * image fields point at that object instead of the local path. `stored` maps a local path to its
 * URI for the whole enqueue, so a file used by many lines is read and uploaded once.
 */
export async function storeInputImages(
  entry: ManifestEntry,
  store: S3ObjectStore,
  stored: Map<string, Promise<string>>,
): Promise<ManifestEntry> {
  const input = await replaceLocalImagePaths(entry.input, entry.localImages, stored, (file) =>
    uploadImage(store, file),
  );
  return { ...entry, input };
}

async function uploadImage(store: S3ObjectStore, file: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new EnqueueError(`cannot read image ${file} to store it: ${(error as Error).message}`);
  }
  if (bytes.length > MAX_IMAGE_BYTES) {
    throw new EnqueueError(`image ${file} is larger than ${MAX_IMAGE_BYTES} bytes`);
  }
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  return store.putIfAbsent(`inputs/${sha256}`, bytes, "application/octet-stream");
}
