import { type FileHandle, open, rm } from "node:fs/promises";

/**
 * Where a download's bytes go, chunk by chunk. The client calls `write` for each chunk (awaiting
 * it, so a slow sink slows the download instead of filling memory), then `commit` once every
 * byte arrived and was checked, or `discard` on any failure. A sink's own errors (disk full, the
 * object store refusing) are rethrown as they are, never as a `ProviderError`.
 */
export interface DownloadSink {
  write(chunk: Buffer): Promise<void>;
  /** Every byte is in and checked: make the file visible under its final name. */
  commit(): Promise<void>;
  /** Something failed: remove whatever was written. Never throws. */
  discard(): Promise<void>;
}

/** A sink writing to a local file (created or truncated); discard removes it. */
export async function openFileSink(destinationPath: string): Promise<DownloadSink> {
  const file: FileHandle = await open(destinationPath, "w");
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await file.close();
  };
  return {
    write: async (chunk) => {
      await file.write(chunk);
    },
    commit: close,
    discard: async () => {
      await close().catch(() => undefined);
      await rm(destinationPath, { force: true });
    },
  };
}
