import { z } from "zod";
import { describeValue } from "./describe-value.ts";

/** The subset of a zod issue that the message builders below look at. */
interface IssueInput {
  code?: string;
  input?: unknown;
  keys?: readonly string[];
}

/**
 * Builds a zod error function whose messages say what is allowed and what was given,
 * e.g. `must be one of 4, 6, 8 (got the string "8")`, or `is required` when missing.
 */
export function mustBe(allowed: string): (issue: IssueInput) => string {
  return (issue) => {
    if (issue.code === "unrecognized_keys") {
      return (issue.keys ?? []).map((key) => `unknown field ${JSON.stringify(key)}`).join("; ");
    }
    if (issue.input === undefined) return `is required; must be ${allowed}`;
    return `must be ${allowed} (got ${describeValue(issue.input)})`;
  };
}

/** Lists values for a message: `"16:9", "9:16"` or `4, 6, 8`. */
export function listValues(values: readonly (string | number)[]): string {
  return values
    .map((value) => (typeof value === "string" ? JSON.stringify(value) : value))
    .join(", ");
}

/**
 * Longest `prompt` or `negative_prompt`, in characters. The API documents no limit; this one is
 * far above any real prompt and keeps a runaway value (a file pasted in) out of Redis.
 */
export const MAX_PROMPT_CHARS = 20_000;

/** A prompt text: a string of at most `MAX_PROMPT_CHARS`. */
export function promptTextField(): z.ZodString {
  return z.string({ error: mustBe("a string") }).max(MAX_PROMPT_CHARS, {
    error: (issue) =>
      `is ${(issue.input as string).length} characters, more than the prompt limit of ${MAX_PROMPT_CHARS} characters (MAX_PROMPT_CHARS)`,
  });
}

/** A required, non-empty prompt text such as `prompt`. */
export function textField(): z.ZodString {
  return promptTextField().min(1, { error: "must not be empty" });
}

/**
 * An image field: a non-empty string. Whether it is a URL, base64 or (in a manifest) a local
 * file path, and what its bytes hold, is checked separately (see `image-bytes.ts`).
 */
export function imageField(): z.ZodString {
  return z
    .string({ error: mustBe("an image url or base64 string") })
    .min(1, { error: "must not be empty" });
}

/** One of a fixed list of strings, e.g. `aspect_ratio`. */
export function enumField<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: mustBe(`one of ${listValues(values)}`) });
}

/** An integer from a fixed list, e.g. `duration_seconds` in {4, 6, 8}. */
export function intChoiceField(values: readonly number[]) {
  const error = mustBe(`one of ${listValues(values)}`);
  return z.int({ error }).refine((value) => values.includes(value), { error });
}

/** An integer in `[min, max]`, e.g. `sample_count` 1..4. */
export function intRangeField(min: number, max: number) {
  const error = mustBe(`an integer from ${min} to ${max}`);
  return z.int({ error }).min(min, { error }).max(max, { error });
}

/** A JSON boolean (`"true"` as a string is rejected). */
export function booleanField(): z.ZodBoolean {
  return z.boolean({ error: mustBe("true or false") });
}

/** Largest `seed` the provider accepts (uint32). */
export const MAX_SEED = 4_294_967_295;

/** `seed`: an integer from 0 to 4,294,967,295. */
export function seedField() {
  return intRangeField(0, MAX_SEED);
}

/** Allowed `duration_seconds` / `duration` values. */
export const DURATION_CHOICES = [4, 6, 8] as const;

/** Allowed `aspect_ratio` values. */
export const ASPECT_RATIOS = ["16:9", "9:16"] as const;

/** Allowed `resolution` values. */
export const RESOLUTIONS = ["720p", "1080p"] as const;

/** Most videos one request may ask for (`sample_count`). */
export const MAX_SAMPLE_COUNT = 4;
