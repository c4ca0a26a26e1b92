import type { Redis } from "ioredis";
import { eachMaster, type RedisConnection } from "./redis-connection.ts";

/** A master whose replicas did not confirm this connection's writes in time. */
export interface UnreplicatedMaster {
  /** host:port of the master. */
  node: string;
  /** Replicas connected to it. */
  replicas: number;
}

/**
 * Waits until at least one replica of every master that has replicas holds every write this
 * connection made (Redis WAIT, per master connection: WAIT counts the writes of the connection
 * it runs on). Redis replicates asynchronously, so without this a master killed right after
 * answering could take acknowledged writes with it and its promoted replica would not know them.
 * A master without replicas (a single server) has nothing to wait for. Returns the masters whose
 * replicas did not confirm within timeoutMs: the writes are there, but a failover now could lose
 * them.
 */
export async function waitForReplicas(
  redis: RedisConnection,
  timeoutMs: number,
): Promise<UnreplicatedMaster[]> {
  const masters = await eachMaster(redis);
  const results = await Promise.all(masters.map((node) => waitOnMaster(node, timeoutMs)));
  return results.filter((r): r is UnreplicatedMaster => r !== undefined);
}

async function waitOnMaster(
  node: Redis,
  timeoutMs: number,
): Promise<UnreplicatedMaster | undefined> {
  const info = await node.info("replication");
  const replicas = Number(/connected_slaves:(\d+)/.exec(info)?.[1] ?? "0");
  if (replicas === 0) return undefined;
  const acknowledged = await node.wait(1, timeoutMs);
  if (acknowledged >= 1) return undefined;
  return { node: connectedAddress(node), replicas };
}

/** Where the connection is: a Sentinel-managed one has no host/port of its own in its options. */
function connectedAddress(node: Redis): string {
  const { remoteAddress, remotePort } = node.stream ?? {};
  return remoteAddress !== undefined && remotePort !== undefined
    ? `${remoteAddress}:${remotePort}`
    : `${node.options.host}:${node.options.port}`;
}
