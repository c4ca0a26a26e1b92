import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { statusJson } from "@veoq/report";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_DIR, removeTestKeys, runCli, simulatorTestEnv } from "./run-cli.ts";

// No worker runs: batches stay as enqueue, pause and cancel leave them.
const MANIFEST = join(DEMO_DIR, "manifest.jsonl");
const ITEMS = 13;
const prefix = `{veoq-states-${randomBytes(4).toString("hex")}}`;
const dir = mkdtempSync(join(tmpdir(), "veoq-states-"));
const env = simulatorTestEnv(prefix, "http://127.0.0.1:9", dir);

async function statusOf(batch: string) {
  const run = await runCli(["status", batch, "--json"], { env });
  expect(run.code).toBe(0);
  const parsed = JSON.parse(run.stdout) as {
    batches: { control: { state: string }; state?: string }[];
  };
  return { json: statusJson.parse(parsed).batches[0], control: parsed.batches[0]?.control };
}

beforeAll(async () => {
  for (const batch of ["paused1", "cancelled1", "open1"]) {
    expect((await runCli(["enqueue", MANIFEST, "--batch", batch], { env })).code).toBe(0);
  }
  expect((await runCli(["pause", "paused1"], { env })).code).toBe(0);
  expect((await runCli(["cancel", "cancelled1"], { env })).code).toBe(0);
}, 60_000);

afterAll(async () => {
  await removeTestKeys(env.REDIS_URL, prefix);
  rmSync(dir, { recursive: true, force: true });
});

describe("status shows a batch's state as it is", () => {
  it("a paused batch says PAUSED where the ETA was, and has no ETA in --json", async () => {
    const text = await runCli(["status", "paused1"], { env });
    const first = text.stdout.split("\n")[0] ?? "";
    expect(first).toContain("PAUSED");
    expect(first).not.toContain("ETA");
    const { json, control } = await statusOf("paused1");
    expect(json?.state).toBe("paused");
    expect(json?.eta_seconds).toBeNull();
    expect(control?.state).toBe("paused");
    // Its elapsed time stands still while it is paused (paused time is not elapsed work time).
    const later = await statusOf("paused1");
    expect(later.json?.elapsed_seconds).toBe(json?.elapsed_seconds);
  });

  it("a batch whose items were all cancelled is finished, not 'all completed', and has no throughput", async () => {
    const text = await runCli(["status", "cancelled1"], { env });
    expect(text.stdout).not.toContain("items completed");
    expect(text.stdout).toContain(`finished: 0 completed, ${ITEMS} cancelled`);
    expect(text.stdout).not.toContain("items/min"); // no rate: nothing was worked on
    const { json, control } = await statusOf("cancelled1");
    expect(json?.state).toBe("finished");
    expect(control?.state).toBe("finished");
    expect(json?.items_per_second).toBe(0);
    expect(json?.counts.cancelled).toBe(ITEMS);
  });

  it("open batches under a credentials stop say STOPPED, not an ETA", async () => {
    const redis = new Redis(env.REDIS_URL as string);
    try {
      await redis.set(`${prefix}:credentials-stop`, "402 insufficient balance");
      const text = await runCli(["status", "open1"], { env });
      expect(text.stdout.split("\n").find((l) => l.startsWith("open1"))).toContain(
        "STOPPED (credentials)",
      );
      expect((await statusOf("open1")).json?.state).toBe("stopped");
      await redis.del(`${prefix}:credentials-stop`);
      const running = await statusOf("open1");
      expect(running.json?.state).toBe("running");
      expect(running.control?.state).toBe("running");
    } finally {
      redis.disconnect();
    }
  });
});
