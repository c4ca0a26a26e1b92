/** The top-level fields of a manifest line; any other field is an error. */
export const MANIFEST_LINE_FIELDS = ["custom_id", "model", "input", "metadata"] as const;

/** Largest allowed `metadata`, measured as its serialized JSON in UTF-8 bytes (16 KiB). */
export const MAX_METADATA_BYTES = 16 * 1024;
