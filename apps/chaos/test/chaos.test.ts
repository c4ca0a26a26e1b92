import { isRedisServerInstalled } from "@veoq/local-redis";
import { describe, expect, it } from "vitest";
import { resolveChaosOptions } from "../src/chaos-options.ts";
import { runChaos } from "../src/run-chaos.ts";

describe("resolveChaosOptions", () => {
  it("fills in the defaults", () => {
    expect(resolveChaosOptions({ jobs: 40 })).toMatchObject({ jobs: 40, workers: 3, seed: 1 });
  });

  it("refuses options that cannot make a run", () => {
    expect(() => resolveChaosOptions({ jobs: 0 })).toThrow(/jobs must be a whole number/);
    expect(() => resolveChaosOptions({ redisKillAtFraction: 1 })).toThrow(/redisKillAtFraction/);
  });
});

// The CI-sized chaos run: real Redis, three `veoq worker` processes, two SIGKILLs, one Redis kill.
describe.runIf(isRedisServerInstalled())("a small chaos run", () => {
  it("loses nothing through worker kills, a Redis kill and provider faults", async () => {
    const report = await runChaos({
      jobs: 40,
      seconds: 90,
      seed: 7,
      // Slower simulated tasks, so the kills land while items are still in flight.
      timeScale: 0.02,
      killEverySeconds: 1.5,
      maxWorkerKills: 2,
      redisKillAtFraction: 0.25,
      slotSettleSeconds: 100,
    });
    const failed = report.findings?.checks.filter((check) => check.status === "fail");
    expect({ error: report.error, failed, defects: report.findings?.defects }).toEqual({
      error: undefined,
      failed: [],
      defects: [],
    });
    expect(report.ok).toBe(true);
    expect(report.disruptions.workerKills).toBe(2);
    expect(report.disruptions.redisKills).toBe(1);
    expect(report.findings?.figures.completed).toBeGreaterThan(0);
    expect(report.workDir).toBeUndefined();
  });
});
