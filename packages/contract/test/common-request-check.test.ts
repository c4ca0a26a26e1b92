import { describe, expect, it } from "vitest";
import { isCommonValidRequest } from "../src/common-request-check.ts";
import { CONTRACT_CASES } from "../src/contract-cases.ts";
import { ENDPOINT_SLUGS, ENDPOINTS, type EndpointSlug } from "../src/endpoints.ts";

/** What the endpoint's zod schema says, without the shortcut. */
const schemaAccepts = (slug: EndpointSlug, body: unknown) =>
  ENDPOINTS[slug].schema.safeParse(body).success;

const FIELDS = [
  "prompt",
  "image",
  "last_image",
  "last_frame_image",
  "reference_images",
  "aspect_ratio",
  "duration_seconds",
  "duration",
  "enhance_prompt",
  "generate_audio",
  "negative_prompt",
  "person_generation",
  "resolution",
  "sample_count",
  "seed",
  "promt",
  "__proto__",
];
const VALUES: unknown[] = [
  "",
  "a",
  "x".repeat(20_000),
  "x".repeat(20_001),
  "https://example.com/a.png",
  "16:9",
  "9:16",
  "4:3",
  "720p",
  "1080p",
  "4k",
  "allow_adult",
  "dont_allow",
  "allow_all",
  "8",
  true,
  false,
  null,
  undefined,
  0,
  -0,
  1,
  4,
  5,
  6,
  7,
  8,
  8.5,
  -1,
  4_294_967_295,
  4_294_967_296,
  2 ** 53,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  [],
  {},
  [{ image: "https://example.com/r.png", reference_type: "asset" }],
];

describe("isCommonValidRequest", () => {
  it("accepts only bodies the schema accepts, and the common valid contract cases", () => {
    let accepted = 0;
    for (const c of CONTRACT_CASES) {
      const fast = isCommonValidRequest(c.slug, c.body);
      if (fast) {
        accepted++;
        expect(schemaAccepts(c.slug, c.body), c.name).toBe(true);
      }
      if (c.valid && !("reference_images" in c.body)) expect(fast, c.name).toBe(true);
    }
    expect(accepted).toBeGreaterThan(10);
  });

  it("never accepts a random body the schema refuses", () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      return seed % n;
    };
    const bases: Record<EndpointSlug, Record<string, unknown>> = {
      "veo-3.1-generate-img2video": { prompt: "a cat", generate_audio: false },
      "veo-3.1-lite-firstlastframe": {
        prompt: "a cat",
        image: "https://example.com/a.png",
        last_frame_image: "https://example.com/b.png",
      },
    };
    let agreedValid = 0;
    for (let i = 0; i < 40_000; i++) {
      const slug = ENDPOINT_SLUGS[random(ENDPOINT_SLUGS.length)] as EndpointSlug;
      const body: Record<string, unknown> = JSON.parse(JSON.stringify(bases[slug]));
      for (let n = random(4); n >= 0; n--) {
        const field = FIELDS[random(FIELDS.length)] as string;
        if (random(6) === 0) delete body[field];
        else
          Object.defineProperty(body, field, {
            value: VALUES[random(VALUES.length)],
            enumerable: true,
            writable: true,
            configurable: true,
          });
      }
      if (isCommonValidRequest(slug, body)) {
        expect(schemaAccepts(slug, body), JSON.stringify(body)).toBe(true);
        agreedValid++;
      }
    }
    expect(agreedValid).toBeGreaterThan(1000);
  });

  it("leaves anything but a plain object to the schema", () => {
    const slug = "veo-3.1-generate-img2video";
    expect(isCommonValidRequest(slug, null)).toBe(false);
    expect(isCommonValidRequest(slug, [])).toBe(false);
    expect(isCommonValidRequest(slug, "x")).toBe(false);
    const inherited = Object.create({ prompt: "a", generate_audio: false });
    expect(isCommonValidRequest(slug, inherited)).toBe(false);
  });
});
