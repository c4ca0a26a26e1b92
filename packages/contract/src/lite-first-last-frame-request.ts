import { z } from "zod";
import { describeValue } from "./describe-value.ts";
import {
  ASPECT_RATIOS,
  booleanField,
  DURATION_CHOICES,
  enumField,
  imageField,
  intChoiceField,
  intRangeField,
  listValues,
  MAX_SAMPLE_COUNT,
  mustBe,
  promptTextField,
  RESOLUTIONS,
  seedField,
  textField,
} from "./request-fields.ts";

const LITE_PERSON_GENERATION = ["allow_adult", "dont_allow"] as const;

/** Request body of `POST /v3/async/veo-3.1-lite-firstlastframe` (strict: unknown fields fail). */
export const liteFirstLastFrameRequestSchema = z.strictObject(
  {
    prompt: textField(),
    image: imageField(),
    last_frame_image: imageField(),
    duration: intChoiceField(DURATION_CHOICES).optional(),
    resolution: enumField(RESOLUTIONS).optional(),
    aspect_ratio: enumField(ASPECT_RATIOS).optional(),
    sample_count: intRangeField(1, MAX_SAMPLE_COUNT).optional(),
    enhance_prompt: booleanField().optional(),
    generate_audio: booleanField().optional(),
    negative_prompt: promptTextField().optional(),
    person_generation: z
      .enum(LITE_PERSON_GENERATION, {
        error: (issue) => {
          const allowed = `one of ${listValues(LITE_PERSON_GENERATION)}`;
          return issue.input === "allow_all"
            ? `must be ${allowed} ("allow_all" is only supported on veo-3.1-generate-img2video)`
            : `must be ${allowed} (got ${describeValue(issue.input)})`;
        },
      })
      .optional(),
    seed: seedField().optional(),
  },
  { error: mustBe("a JSON object") },
);

/** A request body for the Lite first/last-frame endpoint, as the user writes it. */
export type LiteFirstLastFrameRequest = z.input<typeof liteFirstLastFrameRequestSchema>;
