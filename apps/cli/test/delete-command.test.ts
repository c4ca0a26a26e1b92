import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deleteJson } from "@veoq/report";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { DEMO_DIR, removeTestKeys, runCli, simulatorTestEnv } from "./run-cli.ts";

// No worker runs: the batch stays queued until it is cancelled.
const prefix = `{veoq-delete-${randomBytes(4).toString("hex")}}`;
const dir = mkdtempSync(join(tmpdir(), "veoq-delete-"));
const env = simulatorTestEnv(prefix, "http://127.0.0.1:9", dir);

afterAll(async () => {
  await removeTestKeys(env.REDIS_URL, prefix);
  rmSync(dir, { recursive: true, force: true });
});

/** Keys under the test's prefix (its tag and the spread tags) that name batch `del1`. */
async function keysOfBatch(): Promise<string[]> {
  const redis = new Redis(env.REDIS_URL as string);
  try {
    const bare = prefix.slice(1, -1);
    const keys: string[] = [];
    for (const pattern of [`${prefix}*`, `{${bare}:*`]) {
      let cursor = "0";
      do {
        const [next, found] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
        cursor = next;
        keys.push(...found.filter((k) => /(^|[^A-Za-z0-9._-])del1([^A-Za-z0-9._-]|$)/.test(k)));
      } while (cursor !== "0");
    }
    return keys;
  } finally {
    redis.disconnect();
  }
}

describe("veoq delete", () => {
  it("refuses a batch with items in flight, deletes it once cancelled, and leaves no key of it", async () => {
    const manifest = join(DEMO_DIR, "manifest.jsonl");
    expect((await runCli(["enqueue", manifest, "--batch", "del1"], { env })).code).toBe(0);
    expect(await keysOfBatch()).not.toEqual([]);

    const refused = await runCli(["delete", "del1"], { env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("cancel it first (`veoq cancel del1`)");
    expect(await keysOfBatch()).not.toEqual([]);

    expect((await runCli(["cancel", "del1"], { env })).code).toBe(0);
    const deleted = await runCli(["delete", "del1", "--json"], { env });
    expect(deleted.stderr).toBe("");
    expect(deleted.code).toBe(0);
    const json = deleteJson.parse(JSON.parse(deleted.stdout));
    expect(json).toMatchObject({ batch_id: "del1", files: null });
    expect(json.items).toBeGreaterThan(0);
    expect(json.jobs).toBe(json.items);
    expect(await keysOfBatch()).toEqual([]);

    const again = await runCli(["delete", "del1"], { env });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('no batch "del1"');
  }, 60_000);
});
