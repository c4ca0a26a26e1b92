import type { FileHandle } from "node:fs/promises";
import { constants, open } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { AsciiKeyMap } from "./ascii-key-map.ts";
import { describeFileError } from "./describe-file-error.ts";
import { type LineBlockDigests, LineBlockHasher } from "./line-block-digests.ts";
import { createManifestContext } from "./manifest-context.ts";
import type { LineReport } from "./manifest-entry.ts";
import { ManifestFileError } from "./manifest-file-error.ts";
import { MAX_LINE_BYTES } from "./manifest-limits.ts";
import { type ManifestLine, readManifestLineBatches } from "./read-manifest-lines.ts";
import { validateManifestLineSync } from "./validate-manifest-line.ts";

/** Options of `validateManifest`. */
export interface ValidateManifestOptions {
  /** Check local image files' existence, size and format (default `true`). */
  checkFiles?: boolean;
  /** Folder that relative image paths resolve against (default: the manifest's folder). */
  imageDir?: string;
  /**
   * Called after each reported line with the bytes read from the file so far and the file's
   * size, for progress displays (default: none). `bytesRead` runs ahead of the reported
   * line by at most one read buffer (64 KiB).
   */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /**
   * The `custom_id` -> first line map to fill (default: a new one). Given the map of an earlier
   * pass over the same file, a pass adds nothing to it and reports the same duplicates, so a
   * validate-then-enqueue reads a million-line manifest twice but keeps its ids once.
   */
  seenCustomIds?: AsciiKeyMap;
  /**
   * Records what this pass read (see LineBlockDigests), for a later pass's `checkedBefore`.
   */
  recordDigests?: LineBlockDigests;
  /**
   * The digests a completed earlier pass over the same file recorded, every line of which was
   * valid (an enqueue's validate pass): each block of lines whose text is unchanged is re-read
   * without being checked again (its entries are built as a check builds them: the same
   * `custom_id`, model, input with local image paths made absolute, metadata); a block that
   * changed since (or past the recorded end) is checked in full, as without this option.
   */
  checkedBefore?: LineBlockDigests;
}

const BLANK_LINE = /^\s*$/;

/**
 * Streams the manifest (lines split from a file stream; the file is never read whole, and a
 * line over `MAX_LINE_BYTES` is never held whole) and yields one report per non-blank line, in
 * order. Only `custom_id` -> line number and one verdict per distinct local image file are kept
 * in memory. Throws `ManifestFileError` (on the first `next()`) when the manifest cannot be
 * opened or is not a regular file (a FIFO, a device or a folder: checked before any read, so
 * none can block).
 */
export async function* validateManifest(
  manifestPath: string,
  options: ValidateManifestOptions = {},
): AsyncGenerator<LineReport> {
  const { onProgress, ...rest } = options;
  const read: ReadProgress = { stream: undefined, size: 0 };
  for await (const reports of reportBatches(manifestPath, rest, read)) {
    for (const report of reports) {
      yield report;
      if (onProgress !== undefined && read.stream !== undefined) {
        onProgress(read.stream.bytesRead, read.size);
      }
    }
  }
}

/**
 * validateManifest, its reports in batches (those of one read buffer, or of one block of lines
 * with `checkedBefore`), in order: one await per batch rather than per line, for callers going
 * through millions of lines (the enqueue). `onProgress` is not called.
 */
export function validateManifestBatches(
  manifestPath: string,
  options: Omit<ValidateManifestOptions, "onProgress"> = {},
): AsyncGenerator<LineReport[]> {
  return reportBatches(manifestPath, options, { stream: undefined, size: 0 });
}

/** Where a pass is in its file: the stream (once open) and the file's size. */
interface ReadProgress {
  stream: { readonly bytesRead: number } | undefined;
  size: number;
}

async function* reportBatches(
  manifestPath: string,
  options: Omit<ValidateManifestOptions, "onProgress">,
  read: ReadProgress,
): AsyncGenerator<LineReport[]> {
  const absolutePath = resolve(manifestPath);
  const { handle, size } = await openManifest(manifestPath, absolutePath);
  const stream = handle.createReadStream({ highWaterMark: 64 * 1024 });
  read.stream = stream;
  read.size = size;
  const ctx = createManifestContext({
    manifestDir: options.imageDir === undefined ? dirname(absolutePath) : resolve(options.imageDir),
    checkFiles: options.checkFiles ?? true,
    ...(options.seenCustomIds === undefined ? {} : { seenCustomIds: options.seenCustomIds }),
  });
  const { recordDigests, checkedBefore } = options;
  const report = (line: ManifestLine, checked: boolean): LineReport | undefined => {
    if (line.problem !== undefined) {
      return {
        line: line.number,
        customId: null,
        ok: false,
        errors: [{ path: "", message: line.problem }],
        entry: undefined,
      };
    }
    if (BLANK_LINE.test(line.text)) return undefined;
    return validateManifestLineSync(line.text, line.number, ctx, { checkedBefore: checked });
  };
  try {
    if (checkedBefore === undefined) {
      const hasher = recordDigests === undefined ? undefined : new LineBlockHasher();
      const lines = readManifestLineBatches(stream, MAX_LINE_BYTES, hasher !== undefined);
      for await (const batch of lines) {
        const reports: LineReport[] = [];
        for (let i = 0; i < batch.lines.length; i++) {
          const line = batch.lines[i] as ManifestLine;
          const digest = hasher?.add(line.number, batch.bytes?.[i], line.problem);
          if (digest !== undefined) recordDigests?.record(digest);
          const lineReport = report(line, false);
          if (lineReport !== undefined) reports.push(lineReport);
        }
        if (reports.length > 0) yield reports;
      }
      const last = hasher?.end();
      if (last !== undefined) recordDigests?.record(last);
      return;
    }
    // A block's lines are held (at most 256, or about 1 MiB of text) until its digest says
    // whether the earlier pass checked this very text.
    const hasher = new LineBlockHasher();
    let block: ManifestLine[] = [];
    let blockIndex = 0;
    const reportBlock = (digest: Buffer): LineReport[] => {
      const recorded = checkedBefore.digestOf(blockIndex++);
      const checked = recorded?.equals(digest) === true;
      const reports: LineReport[] = [];
      for (const line of block) {
        const lineReport = report(line, checked);
        if (lineReport !== undefined) reports.push(lineReport);
      }
      block = [];
      return reports;
    };
    for await (const batch of readManifestLineBatches(stream, MAX_LINE_BYTES, true)) {
      for (let i = 0; i < batch.lines.length; i++) {
        const line = batch.lines[i] as ManifestLine;
        block.push(line);
        const digest = hasher.add(line.number, batch.bytes?.[i], line.problem);
        if (digest === undefined) continue;
        const reports = reportBlock(digest);
        if (reports.length > 0) yield reports;
      }
    }
    const last = hasher.end();
    if (last !== undefined) {
      const reports = reportBlock(last);
      if (reports.length > 0) yield reports;
    }
  } finally {
    stream.destroy();
  }
}

async function openManifest(
  manifestPath: string,
  absolutePath: string,
): Promise<{ handle: FileHandle; size: number }> {
  let handle: FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever, before the type
    // check below could refuse it. It changes nothing for a regular file.
    handle = await open(absolutePath, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new ManifestFileError(manifestPath, describeFileError(error), { cause: error });
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      throw new ManifestFileError(
        manifestPath,
        stats.isDirectory() ? "is a folder, not a file" : "is not a regular file",
      );
    }
    return { handle, size: stats.size };
  } catch (error) {
    await handle.close();
    if (error instanceof ManifestFileError) throw error;
    throw new ManifestFileError(manifestPath, describeFileError(error), { cause: error });
  }
}
