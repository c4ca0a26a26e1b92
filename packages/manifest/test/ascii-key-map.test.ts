import { describe, expect, it } from "vitest";
import { AsciiKeyMap } from "../src/index.ts";

describe("AsciiKeyMap", () => {
  it("keeps every key's value exactly through its growth, as a Map would", () => {
    const map = new AsciiKeyMap();
    const reference = new Map<string, number>();
    // Enough keys to grow the slots, the entry arrays and the key buffer several times; keys
    // that share prefixes and lengths, and empty-ish short ones.
    for (let i = 0; i < 50_000; i++) {
      const key =
        i % 7 === 0 ? `x${i}` : `item-${String(i).padStart(6, "0")}-${"a".repeat(i % 40)}`;
      map.set(key, i);
      reference.set(key, i);
    }
    expect(map.size).toBe(reference.size);
    for (const [key, value] of reference) expect(map.get(key)).toBe(value);
    expect(map.get("item-000001")).toBeUndefined();
    expect(map.get("item-000001-a-")).toBeUndefined();
    expect(map.get("")).toBeUndefined();
    map.set("x7", 99);
    expect(map.get("x7")).toBe(99);
    expect(map.size).toBe(reference.size);
  });

  it("refuses keys it could not compare exactly", () => {
    const map = new AsciiKeyMap();
    expect(() => map.set("café", 1)).toThrow(RangeError);
    expect(map.size).toBe(0);
  });
});
