import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { DEFAULT_FAULT_OPTIONS } from "../src/index.ts";

describe("docs/simulator.md", () => {
  it("lists every fault key (POST /__sim/faults, setFaults), nested ones as `parent.key`", async () => {
    const doc = await readFile(new URL("../../../docs/simulator.md", import.meta.url), "utf8");
    const keys = Object.entries(DEFAULT_FAULT_OPTIONS).flatMap(([key, value]) =>
      value !== null && typeof value === "object" && !Array.isArray(value)
        ? Object.keys(value).map((inner) => `${key}.${inner}`)
        : [key],
    );
    expect(keys).toContain("fileErrorRate");
    expect(keys).toContain("rateLimit.requestsPerSecond");
    expect(keys.filter((key) => !doc.includes(`\`${key}\``))).toEqual([]);
  });
});
