import { describe, expect, it } from "vitest";
import { startCli } from "./run-cli.ts";

describe("veoq mock", () => {
  it("prints every variable the workers need on one line: base URL, key, time scale, pace", async () => {
    const mock = startCli(["mock", "--port", "0", "--time-scale", "0.05"], process.env);
    try {
      const [line] = await mock.waitFor(/JIEKOU_BASE_URL=\S+ .*\n/);
      expect(line).toMatch(
        /^JIEKOU_BASE_URL=http:\/\/127\.0\.0\.1:\d+ JIEKOU_API_KEY=\S+ VEOQ_TIME_SCALE=0\.05 VEOQ_PROVIDER_RPM=0\n$/,
      );
    } finally {
      await mock.stop();
    }
    const limited = startCli(["mock", "--port", "0", "--rate-limit", "2"], process.env);
    try {
      const [line] = await limited.waitFor(/JIEKOU_BASE_URL=\S+ .*\n/);
      expect(line).toContain("VEOQ_TIME_SCALE=1 VEOQ_PROVIDER_RPM=120");
    } finally {
      await limited.stop();
    }
  }, 60_000);

  it("accepts --keys, each key with its own limits, and prints the pool for the workers", async () => {
    const mock = startCli(
      ["mock", "--port", "0", "--keys", "sim-a:cap=10:rpm=50,sim-b:cap=5,sim-c:cap=5:credit=20"],
      process.env,
    );
    try {
      const [line] = await mock.waitFor(/JIEKOU_BASE_URL=\S+ .*\n/);
      expect(line).toMatch(
        /^JIEKOU_BASE_URL=(\S+) JIEKOU_API_KEYS=sim-a,sim-b,sim-c VEOQ_TIME_SCALE=1 VEOQ_PROVIDER_RPM=50\n$/,
      );
      const url = /^JIEKOU_BASE_URL=(\S+)/.exec(line ?? "")?.[1];
      const stats = (await (await fetch(`${url}/__sim/stats`)).json()) as { by_key: unknown };
      expect(Object.keys(stats.by_key as object)).toEqual(["sim-a", "sim-b", "sim-c"]);
    } finally {
      await mock.stop();
    }
    const bad = startCli(["mock", "--port", "0", "--keys", "sim-a:cap=ten"], process.env);
    await bad.waitFor(/--keys: sim-a: "cap=ten" is not cap=N/);
    await bad.stop();
  }, 60_000);
});
