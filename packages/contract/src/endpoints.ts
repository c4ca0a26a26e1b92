import type { z } from "zod";
import { type Img2VideoRequest, img2videoRequestSchema } from "./img2video-request.ts";
import {
  type LiteFirstLastFrameRequest,
  liteFirstLastFrameRequestSchema,
} from "./lite-first-last-frame-request.ts";

/** Slugs of the create endpoints veoq supports; the URL path is `/v3/async/<slug>`. */
export const ENDPOINT_SLUGS = [
  "veo-3.1-generate-img2video",
  "veo-3.1-lite-firstlastframe",
] as const;

export type EndpointSlug = (typeof ENDPOINT_SLUGS)[number];

export function isEndpointSlug(value: unknown): value is EndpointSlug {
  return typeof value === "string" && (ENDPOINT_SLUGS as readonly string[]).includes(value);
}

/** A request body for either create endpoint. */
export type CreateRequest = Img2VideoRequest | LiteFirstLastFrameRequest;

/** Where an image can sit in a request body. */
export interface ImageFieldSpec {
  /** Dotted path inside the body, `*` for array items, e.g. `"image"`, `"reference_images.*.image"`. */
  pattern: string;
  /** Whether the endpoint accepts only JPEG and PNG bytes here (otherwise any real image). */
  jpegPngOnly: boolean;
}

export interface EndpointSpec {
  slug: EndpointSlug;
  /** `"/v3/async/<slug>"`. */
  path: string;
  /** Human-readable name. */
  title: string;
  /** Strict request schema: unknown fields and out-of-range values fail. */
  schema: z.ZodType;
  /** Every place an image may appear in the body. */
  imageFields: readonly ImageFieldSpec[];
  /** Name of the duration field: the two endpoints differ. */
  durationField: "duration_seconds" | "duration";
  /** Duration the provider uses when the field is absent. */
  defaultDurationSeconds: 8;
}

export const ENDPOINTS: Readonly<Record<EndpointSlug, EndpointSpec>> = Object.freeze({
  "veo-3.1-generate-img2video": {
    slug: "veo-3.1-generate-img2video",
    path: "/v3/async/veo-3.1-generate-img2video",
    title: "Veo 3.1 image-to-video",
    schema: img2videoRequestSchema,
    imageFields: [
      { pattern: "image", jpegPngOnly: false },
      { pattern: "last_image", jpegPngOnly: false },
      { pattern: "reference_images.*.image", jpegPngOnly: false },
    ],
    durationField: "duration_seconds",
    defaultDurationSeconds: 8,
  },
  "veo-3.1-lite-firstlastframe": {
    slug: "veo-3.1-lite-firstlastframe",
    path: "/v3/async/veo-3.1-lite-firstlastframe",
    title: "Veo 3.1 Lite first/last frame",
    schema: liteFirstLastFrameRequestSchema,
    imageFields: [
      { pattern: "image", jpegPngOnly: true },
      { pattern: "last_frame_image", jpegPngOnly: true },
    ],
    durationField: "duration",
    defaultDurationSeconds: 8,
  },
});

/** Path of the task-result API: `GET /v3/async/task-result?task_id=<id>`. */
export const TASK_RESULT_PATH = "/v3/async/task-result";
