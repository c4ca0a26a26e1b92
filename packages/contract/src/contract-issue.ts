/** One problem found in a request or response. */
export interface ContractIssue {
  /** Where: `"duration_seconds"`, `"reference_images[1].reference_type"` (array index in brackets); `""` for the whole value. */
  path: string;
  /** Short, lower-case, no trailing period; reads well after the path (`duration_seconds: must be …`). */
  message: string;
}

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; issues: ContractIssue[] };

/** Formats a zod-style path: `["reference_images", 1, "image"]` -> `"reference_images[1].image"`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? String(segment) : `.${String(segment)}`;
  }
  return out;
}
