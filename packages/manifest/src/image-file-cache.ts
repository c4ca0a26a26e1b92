import type { Stats } from "node:fs";

/** Default bound of an `ImageFileCache`: the base64 text it holds, in bytes. */
export const DEFAULT_IMAGE_CACHE_BYTES = 64 * 1024 * 1024;

/**
 * Files changed this recently (ms) are not cached: a rewrite of the same size within one tick of
 * the file system's timestamps would leave every field `stat` reports unchanged ("racily clean",
 * as git calls it). Ticks are 1-2 s on some file systems and network mounts. The times are
 * compared with this machine's clock: on a network mount whose server clock runs more than the
 * window behind, a just-written file can still be cached.
 */
export const RACY_WINDOW_MS = 3_000;

export interface ImageFileCacheOptions {
  /** Bound on the base64 text held, in bytes. Default `DEFAULT_IMAGE_CACHE_BYTES`. */
  maxBytes?: number;
  /** Files changed less than this long ago are not cached (ms). Default `RACY_WINDOW_MS`. */
  racyWindowMs?: number;
  /** Clock (ms). Default `Date.now`. */
  now?: () => number;
}

/**
 * Base64 of local images already read and checked at submit time, kept per file while `stat`
 * reports it unchanged (same device, inode, size, modification and change times), so lines that
 * share an image cost one `stat` each instead of a full read. A file changed in the last few
 * seconds is not cached (see `RACY_WINDOW_MS`). Bounded by the total length of the base64 it
 * holds; the least recently used files go first. One per worker process.
 */
export class ImageFileCache {
  readonly #maxBytes: number;
  readonly #racyWindowMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, { signature: string; base64: string }>();
  #bytes = 0;

  constructor(options: ImageFileCacheOptions = {}) {
    this.#maxBytes = options.maxBytes ?? DEFAULT_IMAGE_CACHE_BYTES;
    this.#racyWindowMs = options.racyWindowMs ?? RACY_WINDOW_MS;
    this.#now = options.now ?? Date.now;
  }

  /** The cached base64 of `key` when the file is still the one that was read. */
  get(key: string, stats: Stats): string | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.signature !== signatureOf(stats)) {
      this.#delete(key);
      return undefined;
    }
    // Most recently used last.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.base64;
  }

  /** Caches `base64` as the content of the file `stats` describes (unless it changed just now). */
  set(key: string, stats: Stats, base64: string): void {
    this.#delete(key);
    if (base64.length > this.#maxBytes) return;
    if (this.#now() - Math.max(stats.mtimeMs, stats.ctimeMs) < this.#racyWindowMs) return;
    this.#entries.set(key, { signature: signatureOf(stats), base64 });
    this.#bytes += base64.length;
    for (const oldest of this.#entries.keys()) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#delete(oldest);
    }
  }

  /** Files cached and the base64 bytes they take. */
  get size(): { files: number; bytes: number } {
    return { files: this.#entries.size, bytes: this.#bytes };
  }

  #delete(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    this.#bytes -= entry.base64.length;
  }
}

function signatureOf(stats: Stats): string {
  return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;
}
