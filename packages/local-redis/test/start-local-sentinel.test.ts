import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type LocalSentinelGroup, startLocalSentinel } from "../src/index.ts";
import { sendRedisCommand } from "../src/redis-process.ts";

describe("startLocalSentinel", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "veoq-local-sentinel-"));
  let group: LocalSentinelGroup | undefined;
  afterAll(async () => {
    await group?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("starts a master, 2 replicas and 3 sentinels, and fails over to a replica", async () => {
    group = await startLocalSentinel({ dataDir: dir });
    expect(group.sentinels.split(",")).toHaveLength(3);
    const before = await group.masterPort();
    expect(before).toBe(group.servers[0]?.port);
    const after = await group.failover();
    expect(after).not.toBe(before);
    expect(group.servers.map((s) => s.port)).toContain(after);
    expect(await sendRedisCommand(after, "INFO replication")).toContain("role:master");
  }, 60_000);
});
