import { describe, expect, it } from "vitest";
import {
  DEFAULT_FAULT_OPTIONS,
  DEFAULT_SIMULATOR_OPTIONS,
  mergeFaultOptions,
  resolveSimulatorOptions,
} from "../src/options.ts";

describe("resolveSimulatorOptions", () => {
  it("fills defaults, merges nested options and ignores undefined values", () => {
    const options = resolveSimulatorOptions({
      port: undefined,
      rateLimit: { requestsPerSecond: 5 },
      durations: { "veo-3.1-lite-firstlastframe": { minSeconds: 1, maxSeconds: 2 } },
    });
    expect(options.port).toBe(0);
    expect(options.rateLimit).toEqual({
      requestsPerSecond: 5,
      burst: 0,
      retryAfterSeconds: 1,
      scope: "all",
    });
    expect(options.durations["veo-3.1-generate-img2video"]).toEqual(
      DEFAULT_SIMULATOR_OPTIONS.durations["veo-3.1-generate-img2video"],
    );
  });

  it("rejects out-of-range values with the field named", () => {
    expect(() => resolveSimulatorOptions({ failureRate: 2 })).toThrow(/failureRate/);
    expect(() => resolveSimulatorOptions({ timeScale: 0 })).toThrow(/timeScale/);
    expect(() => resolveSimulatorOptions({ latencyMs: { min: 5, max: 1 } })).toThrow(/latencyMs/);
  });
});

describe("mergeFaultOptions", () => {
  it("changes only the given fields", () => {
    const faults = mergeFaultOptions(DEFAULT_FAULT_OPTIONS, { serverErrorRate: 0.5 });
    expect(faults.serverErrorRate).toBe(0.5);
    expect(faults.urlTtlSeconds).toBe(3600);
    expect(faults).not.toHaveProperty("port");
  });

  it("rejects unknown fields and invalid values", () => {
    expect(() =>
      mergeFaultOptions(DEFAULT_FAULT_OPTIONS, { bogus: 1 } as unknown as object),
    ).toThrow(/bogus|unrecognized/i);
    expect(() => mergeFaultOptions(DEFAULT_FAULT_OPTIONS, { dropConnectionRate: -1 })).toThrow(
      /dropConnectionRate/,
    );
  });
});
