import { AsciiKeyMap } from "./ascii-key-map.ts";
import type { ImageValueCheck } from "./check-image-value.ts";

/** Result of checking one local image file: `undefined` when usable, otherwise why not. */
export type FileCheckResult = string | undefined;

/** State shared by the lines of one manifest while it is validated. */
export interface ManifestContext {
  /** Folder that relative image paths are resolved against: the manifest's own folder. */
  readonly manifestDir: string;
  /** Whether local image files are checked (existence, size, format). */
  readonly checkFiles: boolean;
  /**
   * `custom_id` -> line number of its first occurrence, to report duplicates (compact: a
   * million-line manifest keeps every id).
   */
  readonly seenCustomIds: AsciiKeyMap;
  /**
   * Local-file checks by `"<jpegPngOnly 0|1>:<absolute path>"`. A file is checked once per
   * context: the verdict is a snapshot, and `inlineLocalImages` checks the file again at submit time.
   */
  readonly fileChecks: Map<string, FileCheckResult>;
  /**
   * checkImageValue's verdicts on short values (paths and URLs) already seen, by value, for
   * fields that take any image ([0]) and JPEG or PNG only ([1]): a manifest repeats the same few
   * image values on many lines. Bounded (check-image-value.ts); optional for contexts built by
   * hand.
   */
  readonly imageValueChecks?: readonly [Map<string, ImageValueCheck>, Map<string, ImageValueCheck>];
}

/** Options of `createManifestContext`. */
export interface CreateManifestContextOptions {
  /** Folder that relative image paths are resolved against (required; normally the manifest's folder). */
  manifestDir: string;
  /**
   * Check local image files: that they exist, are not empty, are at most `MAX_IMAGE_BYTES`
   * and hold an accepted image format (from their first bytes). When `false` the file
   * system is not touched; paths are still resolved. Default `true`.
   */
  checkFiles?: boolean;
  /** The `custom_id` map of an earlier pass over the same manifest (see ValidateManifestOptions). */
  seenCustomIds?: AsciiKeyMap;
}

/** Creates the state for validating the lines of one manifest. Use one context per manifest. */
export function createManifestContext(options: CreateManifestContextOptions): ManifestContext {
  return {
    manifestDir: options.manifestDir,
    checkFiles: options.checkFiles ?? true,
    seenCustomIds: options.seenCustomIds ?? new AsciiKeyMap(),
    fileChecks: new Map(),
    imageValueChecks: [new Map(), new Map()],
  };
}
