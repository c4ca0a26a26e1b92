/** The top-level fields of a manifest line; any other field is an error. */
export const MANIFEST_LINE_FIELDS = ["custom_id", "model", "input", "metadata"] as const;
