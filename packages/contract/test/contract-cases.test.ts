import { describe, expect, it } from "vitest";
import { CONTRACT_CASES, ENDPOINT_SLUGS, ENDPOINTS, validateCreateRequest } from "../src/index.ts";

describe("CONTRACT_CASES", () => {
  it("has unique names and a path for every invalid case", () => {
    const names = CONTRACT_CASES.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const c of CONTRACT_CASES) {
      if (!c.valid) expect(c.path, c.name).toBeTypeOf("string");
    }
  });

  it("covers every field of every endpoint with a valid and an invalid case", () => {
    for (const slug of ENDPOINT_SLUGS) {
      const fields = Object.keys(
        (ENDPOINTS[slug].schema as unknown as { shape: Record<string, unknown> }).shape,
      );
      for (const field of fields) {
        const cases = CONTRACT_CASES.filter((c) => c.slug === slug);
        const touching = (c: (typeof cases)[number]) => c.body[field] !== undefined;
        expect(
          cases.some((c) => c.valid && touching(c)),
          `${slug} ${field} valid`,
        ).toBe(true);
        expect(
          cases.some((c) => !c.valid && (c.path ?? "").startsWith(field)),
          `${slug} ${field} invalid`,
        ).toBe(true);
      }
    }
  });
});

describe.each(CONTRACT_CASES.map((c) => [c.name, c] as const))("%s", (_name, c) => {
  it(c.valid ? "is accepted" : `is rejected at ${JSON.stringify(c.path)}`, () => {
    const result = validateCreateRequest(c.slug, c.body);
    if (c.valid) {
      expect(result).toEqual({ ok: true, value: c.body });
      return;
    }
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const atPath = result.issues.filter((issue) => issue.path === c.path);
    expect(atPath, JSON.stringify(result.issues)).not.toHaveLength(0);
    if (c.messageIncludes !== undefined) {
      expect(atPath.map((issue) => issue.message).join(" | ")).toContain(c.messageIncludes);
    }
    for (const issue of result.issues) {
      expect(issue.message).toMatch(/^[^A-Z]/);
      expect(issue.message).not.toMatch(/\.$/);
    }
  });
});
