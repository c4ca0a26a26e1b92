import type { EndpointSlug } from "@veoq/contract";

/** One valid manifest line, ready to be enqueued. */
export interface ManifestEntry {
  /** 1-based line number in the manifest file. */
  line: number;
  /** The line's `custom_id`: unique in the manifest, names the output files. */
  customId: string;
  /** The endpoint the line renders through. */
  model: EndpointSlug;
  /**
   * The input with local image paths replaced by ABSOLUTE paths (bytes are never copied: they
   * are read at submit time by `inlineLocalImages`).
   */
  input: Record<string, unknown>;
  /** Concrete image paths in `input` (e.g. "image", "reference_images[0].image") whose value is a local file. */
  localImages: string[];
  /** The line's `metadata`, returned with the results; `undefined` when the line has none. */
  metadata: Record<string, unknown> | undefined;
}

/** One problem found on a manifest line. */
export interface LineIssue {
  /**
   * Where the problem is, prefixed with the top-level field: `custom_id`, `model`,
   * `input.duration_seconds`, `input.reference_images[0].image`; "" for the whole line.
   */
  path: string;
  /** What is wrong, in words meant for the person who wrote the manifest. */
  message: string;
}

/** The verdict on one non-blank manifest line. */
export interface LineReport {
  /** 1-based line number in the manifest file (blank lines count). */
  line: number;
  /** The line's `custom_id` when it is a string (even an invalid one), otherwise `null`. */
  customId: string | null;
  /** `true` when the line has no errors. */
  ok: boolean;
  /** Every problem on the line; empty when `ok`. */
  errors: LineIssue[];
  /** The parsed entry when `ok`, otherwise `undefined`. */
  entry: ManifestEntry | undefined;
}
