import { describeJsonType } from "./describe-json-type.ts";
import { MAX_CUSTOM_ID_LENGTH } from "./manifest-limits.ts";

/** Characters allowed in a `custom_id`: it names output files, so nothing a file system treats specially. */
export const CUSTOM_ID_PATTERN = /^[A-Za-z0-9._-]+$/;

const CUSTOM_ID_RULE = `must be 1-${MAX_CUSTOM_ID_LENGTH} characters of A-Z a-z 0-9 . _ -`;

/** Returns why `value` is not a valid `custom_id`, or `undefined` when it is. Uniqueness is checked elsewhere. */
export function checkCustomId(value: unknown): string | undefined {
  if (value === undefined) return `is required; ${CUSTOM_ID_RULE}`;
  if (typeof value !== "string") return `must be a string (got ${describeJsonType(value)})`;
  if (value.length === 0) return "must not be empty";
  if (value.length > MAX_CUSTOM_ID_LENGTH) {
    return `must be at most ${MAX_CUSTOM_ID_LENGTH} characters (got ${value.length})`;
  }
  if (!CUSTOM_ID_PATTERN.test(value)) {
    return `may only contain letters, digits, ".", "_" and "-" (${CUSTOM_ID_RULE})`;
  }
  if (value === "." || value === "..") return `must not be "${value}"`;
  return undefined;
}
