import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ApiKeyEntry } from "@veoq/config";
import { openStore, ProviderKeys } from "@veoq/pipeline";
import type { ProviderClient } from "@veoq/provider-client";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { removeTestKeys, runCli, simulatorTestEnv } from "./run-cli.ts";

const prefix = `{veoq-keys-${randomBytes(4).toString("hex")}}`;
const dir = mkdtempSync(join(tmpdir(), "veoq-keys-"));
const env: NodeJS.ProcessEnv = {
  ...simulatorTestEnv(prefix, "http://127.0.0.1:9", dir),
  JIEKOU_API_KEY: "",
};
const redis = new Redis(env.REDIS_URL as string);

afterAll(async () => {
  redis.disconnect();
  await removeTestKeys(env.REDIS_URL, prefix);
  rmSync(dir, { recursive: true, force: true });
});

const entry = (name: string, maxInFlight: number): ApiKeyEntry => ({
  name,
  secret: `sk-secret-${name}`,
  rpm: 0,
  maxInFlight,
  dailyBudget: undefined,
  weight: 1,
});

describe("veoq keys and veoq resume --key", () => {
  it("show each key by name with its figures, and lift one key's stop", async () => {
    const keys = new ProviderKeys({
      store: openStore(redis, { prefix }),
      keys: [entry("prod-a", 3), entry("prod-b", 2)],
      clientFor: () => ({}) as ProviderClient,
      toMicros: (amount) => Math.round(amount * 1e6),
    });
    const [a, b] = keys.list;
    if (a === undefined || b === undefined) throw new Error("two keys expected");
    await keys.take("h1", 0);
    await keys.count(a, "created", 1_500_000);
    await keys.count(a, "rateLimited");
    await keys.stop(b, "insufficient_credit: 402 insufficient balance");

    const json = JSON.parse((await runCli(["keys", "--json"], { env })).stdout) as {
      keys: Record<string, unknown>[];
    };
    expect(json.keys).toEqual([
      expect.objectContaining({
        name: "prod-a",
        state: "ok",
        in_flight: 1,
        cap: 3,
        max: 3,
        creates: 1,
        rate_limited: 1,
        spent: { amount: 1.5, currency: "USD" },
        spent_today: { amount: 1.5, currency: "USD" },
        stopped_by: null,
      }),
      expect.objectContaining({
        name: "prod-b",
        state: "stopped",
        in_flight: 0,
        stopped_by: "insufficient_credit: 402 insufficient balance",
      }),
    ]);
    const text = await runCli(["keys"], { env });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^prod-a {2}1\/3 in flight \(max 3\) {2}1 creates {2}1 429s/m);
    expect(text.stdout).toContain("STOPPED (insufficient_credit");
    expect(text.stdout).toContain("`veoq resume --key prod-b`");
    expect(text.stdout).not.toContain("sk-secret");

    // status: a section per key once the pool has more than one.
    const status = await runCli(["status"], { env });
    expect(status.stdout).toContain("API keys:\n  prod-a  1/3 in flight");
    expect(status.stdout).toContain("  prod-b  0/2 in flight");
    const statusJson = JSON.parse((await runCli(["status", "--json"], { env })).stdout) as {
      keys: { name: string; state: string }[];
    };
    expect(statusJson.keys.map((k) => [k.name, k.state])).toEqual([
      ["prod-a", "ok"],
      ["prod-b", "stopped"],
    ]);

    const resumed = await runCli(["resume", "--key", "prod-b"], { env });
    expect(resumed.stdout).toBe(
      "key prod-b resumed (stopped by: insufficient_credit: 402 insufficient balance)\n",
    );
    expect((await keys.stopped()).size).toBe(0);
    const again = await runCli(["resume", "--key", "prod-b", "--json"], { env });
    expect(JSON.parse(again.stdout)).toMatchObject({ key: "prod-b", resumed: false });
  }, 60_000);
});
