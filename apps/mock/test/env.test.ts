import { describe, expect, it } from "vitest";
import { DEFAULT_MOCK_ENV, readMockEnv } from "../src/env.ts";

describe("readMockEnv", () => {
  it("uses the defaults when nothing is set", () => {
    expect(readMockEnv({})).toEqual(DEFAULT_MOCK_ENV);
  });

  it("reads MOCK_PORT and MOCK_HOST", () => {
    expect(readMockEnv({ MOCK_PORT: "0", MOCK_HOST: "0.0.0.0" })).toEqual({
      port: 0,
      host: "0.0.0.0",
    });
  });

  it("refuses a MOCK_PORT that is not a port", () => {
    expect(() => readMockEnv({ MOCK_PORT: "http" })).toThrow(/MOCK_PORT/);
    expect(() => readMockEnv({ MOCK_PORT: "70000" })).toThrow(/MOCK_PORT/);
  });
});
