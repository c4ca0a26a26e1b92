import { describe, expect, it } from "vitest";
import { parseRetryAfter } from "../src/index.ts";

const NOW = Date.parse("2025-01-01T00:00:00Z");

describe("parseRetryAfter", () => {
  it("reads delay-seconds", () => {
    expect(parseRetryAfter("120", NOW)).toBe(120_000);
    expect(parseRetryAfter(" 0 ", NOW)).toBe(0);
    expect(parseRetryAfter("1.5", NOW)).toBe(1500);
  });

  it("reads an IMF-fixdate as the time left until it", () => {
    expect(parseRetryAfter("Wed, 01 Jan 2025 00:00:30 GMT", NOW)).toBe(30_000);
  });

  it("reads the obsolete RFC 850 and asctime date forms", () => {
    expect(parseRetryAfter("Wednesday, 01-Jan-25 00:01:00 GMT", NOW)).toBe(60_000);
    expect(parseRetryAfter("Wed Jan  1 00:00:05 2025", NOW)).toBe(5_000);
  });

  it("gives 0 for a date in the past", () => {
    expect(parseRetryAfter("Tue, 31 Dec 2024 23:59:00 GMT", NOW)).toBe(0);
  });

  it("takes the first of repeated headers", () => {
    expect(parseRetryAfter(["3", "9"], NOW)).toBe(3000);
  });

  it("gives undefined when absent or empty", () => {
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
    expect(parseRetryAfter("", NOW)).toBeUndefined();
    expect(parseRetryAfter([], NOW)).toBeUndefined();
  });

  it("gives undefined for garbage, negative numbers and loose dates", () => {
    expect(parseRetryAfter("soon", NOW)).toBeUndefined();
    expect(parseRetryAfter("-5", NOW)).toBeUndefined();
    expect(parseRetryAfter("5s", NOW)).toBeUndefined();
    expect(parseRetryAfter("2025-01-01T00:00:30Z", NOW)).toBeUndefined();
    expect(parseRetryAfter("Wed, 99 Foo 2025 00:00:30 GMT", NOW)).toBeUndefined();
  });
});
