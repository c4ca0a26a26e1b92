import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type LocalCluster, startLocalCluster } from "../src/index.ts";
import { sendRedisCommand } from "../src/redis-process.ts";

describe("startLocalCluster", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "veoq-local-cluster-"));
  let cluster: LocalCluster | undefined;
  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("starts 3 masters with a replica each, and a killed master's replica takes over", async () => {
    cluster = await startLocalCluster({ dataDir: dir });
    expect(cluster.nodes).toHaveLength(6);
    expect(cluster.seeds.split(",")).toHaveLength(6);
    const owners = await cluster.slotOwnerPorts();
    expect(owners).toHaveLength(3);
    expect((await cluster.masterPorts()).sort()).toEqual(owners);
    const first = cluster.nodes.find((n) => n.port === owners[0]);
    expect(await sendRedisCommand(first?.port ?? 0, "CONFIG GET appendonly")).toContain("yes");

    const victim = owners[0] as number;
    const successor = await cluster.killMaster(victim);
    const after = await cluster.slotOwnerPorts();
    expect(after).toHaveLength(3);
    expect(after).not.toContain(victim);
    expect(after).toContain(successor);

    const other = after.find((p) => p !== successor) as number;
    const promoted = await cluster.failover(other);
    expect(promoted).not.toBe(other);
    expect(await cluster.slotOwnerPorts()).toContain(promoted);
  }, 60_000);
});
