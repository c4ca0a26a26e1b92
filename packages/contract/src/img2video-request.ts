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
  MAX_SAMPLE_COUNT,
  mustBe,
  promptTextField,
  RESOLUTIONS,
  seedField,
  textField,
} from "./request-fields.ts";

/** Most `asset` items `reference_images` may hold. */
export const MAX_ASSET_REFERENCE_IMAGES = 3;

const referenceImageSchema = z.strictObject(
  {
    image: imageField().optional(),
    reference_type: enumField(["asset", "style"]),
  },
  { error: mustBe("an object with reference_type and optionally image") },
);

function countReferenceTypes(items: readonly unknown[]): { asset: number; style: number } {
  let asset = 0;
  let style = 0;
  for (const item of items) {
    if (typeof item !== "object" || item === null) continue;
    const type = (item as { reference_type?: unknown }).reference_type;
    if (type === "asset") asset++;
    if (type === "style") style++;
  }
  return { asset, style };
}

const referenceImagesSchema = z
  .array(referenceImageSchema, {
    error: mustBe("an array of {image, reference_type} objects"),
  })
  .min(1, { error: "must have at least 1 item" })
  .superRefine(
    (items, ctx) => {
      const { asset, style } = countReferenceTypes(items);
      if (asset > 0 && style > 0) {
        ctx.addIssue({ code: "custom", message: "must not mix asset and style items" });
      } else if (style > 1) {
        ctx.addIssue({
          code: "custom",
          message: `must have exactly 1 item when reference_type is style (got ${style})`,
        });
      } else if (asset > MAX_ASSET_REFERENCE_IMAGES) {
        ctx.addIssue({
          code: "custom",
          message: `must have at most ${MAX_ASSET_REFERENCE_IMAGES} asset items (got ${asset})`,
        });
      }
    },
    { when: (payload) => Array.isArray(payload.value) },
  );

/** Request body of `POST /v3/async/veo-3.1-generate-img2video` (strict: unknown fields fail). */
export const img2videoRequestSchema = z
  .strictObject(
    {
      prompt: textField(),
      image: imageField().optional(),
      last_image: imageField().optional(),
      reference_images: referenceImagesSchema.optional(),
      aspect_ratio: enumField(ASPECT_RATIOS).optional(),
      duration_seconds: intChoiceField(DURATION_CHOICES).optional(),
      enhance_prompt: z
        .literal(true, {
          error: (issue) =>
            issue.input === false
              ? "only true is supported on veo-3.1-generate-img2video"
              : `must be true (got ${describeValue(issue.input)})`,
        })
        .optional(),
      generate_audio: booleanField(),
      negative_prompt: promptTextField().optional(),
      person_generation: enumField(["allow_adult", "dont_allow", "allow_all"]).optional(),
      resolution: enumField(RESOLUTIONS).optional(),
      sample_count: intRangeField(1, MAX_SAMPLE_COUNT).optional(),
      seed: seedField().optional(),
    },
    { error: mustBe("a JSON object") },
  )
  .superRefine(
    (body, ctx) => {
      const duration: unknown = body.duration_seconds;
      if (
        body.reference_images !== undefined &&
        typeof duration === "number" &&
        duration !== 8 &&
        (DURATION_CHOICES as readonly number[]).includes(duration)
      ) {
        ctx.addIssue({
          code: "custom",
          path: ["duration_seconds"],
          message: "must be 8 when reference_images is used",
        });
      }
    },
    {
      when: (payload) =>
        typeof payload.value === "object" &&
        payload.value !== null &&
        !Array.isArray(payload.value),
    },
  );

/** A request body for the img2video endpoint, as the user writes it. */
export type Img2VideoRequest = z.input<typeof img2videoRequestSchema>;
