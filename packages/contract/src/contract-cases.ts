import type { EndpointSlug } from "./endpoints.ts";

/** One request body and what the contract says about it. */
export interface ContractCase {
  /** Unique, readable name for test titles. */
  name: string;
  slug: EndpointSlug;
  body: Record<string, unknown>;
  /** Whether the provider accepts this body. */
  valid: boolean;
  /** For invalid cases: the issue path expected (`""` for the whole body). */
  path?: string;
  /** For invalid cases: a fragment the message must contain, when it matters. */
  messageIncludes?: string;
}

const IMG2VIDEO: EndpointSlug = "veo-3.1-generate-img2video";
const LITE: EndpointSlug = "veo-3.1-lite-firstlastframe";

const FIRST = "https://example.com/first.png";
const LAST = "https://example.com/last.jpg";
const REF = "https://example.com/ref.png";

const img2videoBase = { prompt: "a cat surfing at sunset", generate_audio: false };
const liteBase = { prompt: "a cat surfing at sunset", image: FIRST, last_frame_image: LAST };

const assets = (count: number) =>
  Array.from({ length: count }, () => ({ image: REF, reference_type: "asset" }));
const styles = (count: number) =>
  Array.from({ length: count }, () => ({ image: REF, reference_type: "style" }));

function ok(name: string, slug: EndpointSlug, body: Record<string, unknown>): ContractCase {
  return { name, slug, body, valid: true };
}

function bad(
  name: string,
  slug: EndpointSlug,
  body: Record<string, unknown>,
  path: string,
  messageIncludes?: string,
): ContractCase {
  return messageIncludes === undefined
    ? { name, slug, body, valid: false, path }
    : { name, slug, body, valid: false, path, messageIncludes };
}

function without(body: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _removed, ...rest } = body;
  return rest;
}

const img2videoCases: ContractCase[] = [
  ok("img2video: minimal body", IMG2VIDEO, img2videoBase),
  ok("img2video: every field", IMG2VIDEO, {
    ...img2videoBase,
    image: FIRST,
    last_image: LAST,
    aspect_ratio: "9:16",
    duration_seconds: 6,
    enhance_prompt: true,
    generate_audio: true,
    negative_prompt: "blur",
    person_generation: "allow_all",
    resolution: "1080p",
    sample_count: 4,
    seed: 4_294_967_295,
  }),
  // prompt
  bad(
    "img2video: prompt missing",
    IMG2VIDEO,
    without(img2videoBase, "prompt"),
    "prompt",
    "is required",
  ),
  bad(
    "img2video: prompt empty",
    IMG2VIDEO,
    { ...img2videoBase, prompt: "" },
    "prompt",
    "must not be empty",
  ),
  bad("img2video: prompt not a string", IMG2VIDEO, { ...img2videoBase, prompt: 42 }, "prompt"),
  // generate_audio (required here)
  ok("img2video: generate_audio true", IMG2VIDEO, { ...img2videoBase, generate_audio: true }),
  bad(
    "img2video: generate_audio missing",
    IMG2VIDEO,
    without(img2videoBase, "generate_audio"),
    "generate_audio",
    "is required",
  ),
  bad(
    "img2video: generate_audio as string",
    IMG2VIDEO,
    { ...img2videoBase, generate_audio: "true" },
    "generate_audio",
    "true or false",
  ),
  // image fields
  ok("img2video: image as base64", IMG2VIDEO, {
    ...img2videoBase,
    image: "iVBORw0KGgoAAAANSUhEUgAAAAE=",
  }),
  bad(
    "img2video: image empty",
    IMG2VIDEO,
    { ...img2videoBase, image: "" },
    "image",
    "must not be empty",
  ),
  bad(
    "img2video: image not a string",
    IMG2VIDEO,
    { ...img2videoBase, image: { url: FIRST } },
    "image",
  ),
  ok("img2video: last_image", IMG2VIDEO, { ...img2videoBase, last_image: LAST }),
  bad(
    "img2video: last_image not a string",
    IMG2VIDEO,
    { ...img2videoBase, last_image: 7 },
    "last_image",
  ),
  // reference_images
  ok("img2video: 1 asset reference", IMG2VIDEO, { ...img2videoBase, reference_images: assets(1) }),
  ok("img2video: 3 asset references with duration 8", IMG2VIDEO, {
    ...img2videoBase,
    reference_images: assets(3),
    duration_seconds: 8,
  }),
  ok("img2video: 1 style reference", IMG2VIDEO, { ...img2videoBase, reference_images: styles(1) }),
  ok("img2video: reference without image", IMG2VIDEO, {
    ...img2videoBase,
    reference_images: [{ reference_type: "asset" }],
  }),
  bad(
    "img2video: 4 asset references",
    IMG2VIDEO,
    { ...img2videoBase, reference_images: assets(4) },
    "reference_images",
    "at most 3",
  ),
  bad(
    "img2video: 2 style references",
    IMG2VIDEO,
    { ...img2videoBase, reference_images: styles(2) },
    "reference_images",
    "exactly 1",
  ),
  bad(
    "img2video: asset and style mixed",
    IMG2VIDEO,
    { ...img2videoBase, reference_images: [...assets(1), ...styles(1)] },
    "reference_images",
    "mix",
  ),
  bad(
    "img2video: reference_images empty",
    IMG2VIDEO,
    { ...img2videoBase, reference_images: [] },
    "reference_images",
    "at least 1",
  ),
  bad(
    "img2video: reference_images not an array",
    IMG2VIDEO,
    { ...img2videoBase, reference_images: { image: REF, reference_type: "asset" } },
    "reference_images",
  ),
  bad(
    "img2video: reference_type missing",
    IMG2VIDEO,
    { ...img2videoBase, reference_images: [{ image: REF }] },
    "reference_images[0].reference_type",
    "is required",
  ),
  bad(
    "img2video: reference_type unknown",
    IMG2VIDEO,
    {
      ...img2videoBase,
      reference_images: [...assets(1), { image: REF, reference_type: "character" }],
    },
    "reference_images[1].reference_type",
    '"asset", "style"',
  ),
  bad(
    "img2video: reference image empty",
    IMG2VIDEO,
    { ...img2videoBase, reference_images: [{ image: "", reference_type: "asset" }] },
    "reference_images[0].image",
  ),
  bad(
    "img2video: unknown field in a reference",
    IMG2VIDEO,
    { ...img2videoBase, reference_images: [{ images: REF, reference_type: "asset" }] },
    "reference_images[0].images",
    'did you mean "image"',
  ),
  // aspect_ratio
  ok("img2video: aspect_ratio 16:9", IMG2VIDEO, { ...img2videoBase, aspect_ratio: "16:9" }),
  bad(
    "img2video: aspect_ratio 4:3",
    IMG2VIDEO,
    { ...img2videoBase, aspect_ratio: "4:3" },
    "aspect_ratio",
    '"16:9", "9:16"',
  ),
  // duration_seconds
  ok("img2video: duration_seconds 4", IMG2VIDEO, { ...img2videoBase, duration_seconds: 4 }),
  ok("img2video: duration_seconds 8", IMG2VIDEO, { ...img2videoBase, duration_seconds: 8 }),
  bad(
    "img2video: duration_seconds 5",
    IMG2VIDEO,
    { ...img2videoBase, duration_seconds: 5 },
    "duration_seconds",
    "must be one of 4, 6, 8",
  ),
  bad(
    "img2video: duration_seconds not an integer",
    IMG2VIDEO,
    { ...img2videoBase, duration_seconds: 6.5 },
    "duration_seconds",
    "must be one of 4, 6, 8",
  ),
  bad(
    "img2video: duration_seconds as string",
    IMG2VIDEO,
    { ...img2videoBase, duration_seconds: "8" },
    "duration_seconds",
    "must be one of 4, 6, 8",
  ),
  ok("img2video: reference_images with default duration", IMG2VIDEO, {
    ...img2videoBase,
    reference_images: assets(2),
  }),
  bad(
    "img2video: reference_images with duration_seconds 6",
    IMG2VIDEO,
    { ...img2videoBase, reference_images: assets(1), duration_seconds: 6 },
    "duration_seconds",
    "must be 8 when reference_images is used",
  ),
  // enhance_prompt (only true)
  ok("img2video: enhance_prompt true", IMG2VIDEO, { ...img2videoBase, enhance_prompt: true }),
  bad(
    "img2video: enhance_prompt false",
    IMG2VIDEO,
    { ...img2videoBase, enhance_prompt: false },
    "enhance_prompt",
    "only true is supported on veo-3.1-generate-img2video",
  ),
  bad(
    "img2video: enhance_prompt as string",
    IMG2VIDEO,
    { ...img2videoBase, enhance_prompt: "true" },
    "enhance_prompt",
  ),
  // negative_prompt
  ok("img2video: negative_prompt", IMG2VIDEO, {
    ...img2videoBase,
    negative_prompt: "text, watermark",
  }),
  bad(
    "img2video: negative_prompt not a string",
    IMG2VIDEO,
    { ...img2videoBase, negative_prompt: ["text"] },
    "negative_prompt",
  ),
  // person_generation
  ok("img2video: person_generation allow_all", IMG2VIDEO, {
    ...img2videoBase,
    person_generation: "allow_all",
  }),
  ok("img2video: person_generation dont_allow", IMG2VIDEO, {
    ...img2videoBase,
    person_generation: "dont_allow",
  }),
  bad(
    "img2video: person_generation unknown",
    IMG2VIDEO,
    { ...img2videoBase, person_generation: "allow_children" },
    "person_generation",
    '"allow_adult", "dont_allow", "allow_all"',
  ),
  // resolution
  ok("img2video: resolution 720p", IMG2VIDEO, { ...img2videoBase, resolution: "720p" }),
  bad(
    "img2video: resolution 4k",
    IMG2VIDEO,
    { ...img2videoBase, resolution: "4k" },
    "resolution",
    '"720p", "1080p"',
  ),
  // sample_count
  ok("img2video: sample_count 1", IMG2VIDEO, { ...img2videoBase, sample_count: 1 }),
  bad(
    "img2video: sample_count 0",
    IMG2VIDEO,
    { ...img2videoBase, sample_count: 0 },
    "sample_count",
    "from 1 to 4",
  ),
  bad(
    "img2video: sample_count 5",
    IMG2VIDEO,
    { ...img2videoBase, sample_count: 5 },
    "sample_count",
    "from 1 to 4",
  ),
  bad(
    "img2video: sample_count not an integer",
    IMG2VIDEO,
    { ...img2videoBase, sample_count: 2.5 },
    "sample_count",
    "integer",
  ),
  // seed
  ok("img2video: seed 0", IMG2VIDEO, { ...img2videoBase, seed: 0 }),
  bad(
    "img2video: seed negative",
    IMG2VIDEO,
    { ...img2videoBase, seed: -1 },
    "seed",
    "from 0 to 4294967295",
  ),
  bad("img2video: seed above uint32", IMG2VIDEO, { ...img2videoBase, seed: 4_294_967_296 }, "seed"),
  bad("img2video: seed as string", IMG2VIDEO, { ...img2videoBase, seed: "42" }, "seed"),
  // unknown fields
  bad(
    "img2video: Lite's duration field",
    IMG2VIDEO,
    { ...img2videoBase, duration: 8 },
    "duration",
    'did you mean "duration_seconds"',
  ),
  bad(
    "img2video: Lite's last_frame_image field",
    IMG2VIDEO,
    { ...img2videoBase, last_frame_image: LAST },
    "last_frame_image",
    'did you mean "last_image"',
  ),
  bad(
    "img2video: unrelated unknown field",
    IMG2VIDEO,
    { ...img2videoBase, model: "veo-3" },
    "model",
    "unknown field",
  ),
];

const liteCases: ContractCase[] = [
  ok("lite: minimal body", LITE, liteBase),
  ok("lite: every field", LITE, {
    ...liteBase,
    duration: 4,
    resolution: "1080p",
    aspect_ratio: "9:16",
    sample_count: 4,
    enhance_prompt: false,
    generate_audio: true,
    negative_prompt: "blur",
    person_generation: "dont_allow",
    seed: 0,
  }),
  // prompt
  bad("lite: prompt missing", LITE, without(liteBase, "prompt"), "prompt", "is required"),
  bad("lite: prompt empty", LITE, { ...liteBase, prompt: "" }, "prompt"),
  // image and last_frame_image (both required)
  ok("lite: images as base64 data", LITE, {
    ...liteBase,
    image: "data:image/png;base64,iVBORw0KGgo=",
    last_frame_image: "/9j/4AAQSkZJRgABAQ==",
  }),
  bad("lite: image missing", LITE, without(liteBase, "image"), "image", "is required"),
  bad("lite: image empty", LITE, { ...liteBase, image: "" }, "image"),
  bad(
    "lite: last_frame_image missing",
    LITE,
    without(liteBase, "last_frame_image"),
    "last_frame_image",
    "is required",
  ),
  bad(
    "lite: last_frame_image not a string",
    LITE,
    { ...liteBase, last_frame_image: null },
    "last_frame_image",
  ),
  // duration
  ok("lite: duration 6", LITE, { ...liteBase, duration: 6 }),
  ok("lite: duration 8", LITE, { ...liteBase, duration: 8 }),
  bad(
    "lite: duration 10",
    LITE,
    { ...liteBase, duration: 10 },
    "duration",
    "must be one of 4, 6, 8",
  ),
  bad(
    "lite: duration as string",
    LITE,
    { ...liteBase, duration: "8" },
    "duration",
    "must be one of 4, 6, 8",
  ),
  bad(
    "lite: duration not an integer",
    LITE,
    { ...liteBase, duration: 4.5 },
    "duration",
    "must be one of 4, 6, 8",
  ),
  // resolution, aspect_ratio
  ok("lite: resolution 720p", LITE, { ...liteBase, resolution: "720p" }),
  bad(
    "lite: resolution 1440p",
    LITE,
    { ...liteBase, resolution: "1440p" },
    "resolution",
    '"720p", "1080p"',
  ),
  ok("lite: aspect_ratio 16:9", LITE, { ...liteBase, aspect_ratio: "16:9" }),
  bad(
    "lite: aspect_ratio 1:1",
    LITE,
    { ...liteBase, aspect_ratio: "1:1" },
    "aspect_ratio",
    '"16:9", "9:16"',
  ),
  // sample_count
  ok("lite: sample_count 2", LITE, { ...liteBase, sample_count: 2 }),
  bad(
    "lite: sample_count 5",
    LITE,
    { ...liteBase, sample_count: 5 },
    "sample_count",
    "from 1 to 4",
  ),
  bad("lite: sample_count as string", LITE, { ...liteBase, sample_count: "2" }, "sample_count"),
  // enhance_prompt (false allowed here)
  ok("lite: enhance_prompt false", LITE, { ...liteBase, enhance_prompt: false }),
  ok("lite: enhance_prompt true", LITE, { ...liteBase, enhance_prompt: true }),
  bad(
    "lite: enhance_prompt as string",
    LITE,
    { ...liteBase, enhance_prompt: "false" },
    "enhance_prompt",
    "true or false",
  ),
  // generate_audio (optional here)
  ok("lite: generate_audio true", LITE, { ...liteBase, generate_audio: true }),
  bad(
    "lite: generate_audio as string",
    LITE,
    { ...liteBase, generate_audio: "yes" },
    "generate_audio",
    "true or false",
  ),
  // negative_prompt
  ok("lite: negative_prompt", LITE, { ...liteBase, negative_prompt: "text" }),
  bad(
    "lite: negative_prompt not a string",
    LITE,
    { ...liteBase, negative_prompt: false },
    "negative_prompt",
  ),
  // person_generation (no allow_all)
  ok("lite: person_generation allow_adult", LITE, {
    ...liteBase,
    person_generation: "allow_adult",
  }),
  bad(
    "lite: person_generation allow_all",
    LITE,
    { ...liteBase, person_generation: "allow_all" },
    "person_generation",
    "only supported on veo-3.1-generate-img2video",
  ),
  bad(
    "lite: person_generation unknown",
    LITE,
    { ...liteBase, person_generation: "everyone" },
    "person_generation",
  ),
  // seed
  ok("lite: seed max", LITE, { ...liteBase, seed: 4_294_967_295 }),
  bad(
    "lite: seed above uint32",
    LITE,
    { ...liteBase, seed: 4_294_967_296 },
    "seed",
    "from 0 to 4294967295",
  ),
  bad("lite: seed not an integer", LITE, { ...liteBase, seed: 1.5 }, "seed"),
  // unknown fields
  bad(
    "lite: img2video's duration_seconds field",
    LITE,
    { ...liteBase, duration_seconds: 8 },
    "duration_seconds",
    'unknown field "duration_seconds"; did you mean "duration"?',
  ),
  bad(
    "lite: img2video's last_image field",
    LITE,
    { ...liteBase, last_image: LAST },
    "last_image",
    'did you mean "last_frame_image"',
  ),
  bad(
    "lite: reference_images not supported",
    LITE,
    { ...liteBase, reference_images: assets(1) },
    "reference_images",
    "unknown field",
  ),
];

/**
 * The shared contract suite: request bodies for both endpoints with the verdict the documented
 * API gives them. Used by this package's tests and by the simulator's, so the simulator cannot
 * drift from the contract. Every rule has at least one valid and one invalid case.
 */
export const CONTRACT_CASES: readonly ContractCase[] = Object.freeze([
  ...img2videoCases,
  ...liteCases,
]);
