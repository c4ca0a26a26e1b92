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
});
