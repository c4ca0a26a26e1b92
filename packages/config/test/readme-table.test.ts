import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { describeConfig } from "../src/index.ts";

const README = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");

describe("README configuration table", () => {
  it("lists every variable with its default, and nothing the code does not read", () => {
    const rows = [...README.matchAll(/^\| *`([A-Z0-9_]+)` *\| *(.+?) *\| .+\|$/gm)].map((m) => ({
      env: m[1],
      default: (m[2] ?? "").replace(/`/g, ""),
    }));
    const expected = describeConfig().map((r) => ({ env: r.env, default: r.default }));
    expect(rows).toEqual(expected);
  });
});
