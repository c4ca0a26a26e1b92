import { BatchStore } from "./batch-store.ts";
import type { RedisConnection } from "./connection/redis-connection.ts";
import { defineStoreScripts } from "./store-scripts.ts";

/** What the store needs from the configuration. */
export interface StoreConfig {
  /** VEOQ_PREFIX: the key prefix (and hash tag) of the deployment's records. */
  prefix: string;
}

/**
 * The store of one process: every record of the deployment on this connection, with the Lua
 * scripts defined on it. Built once per process (workers, CLI, dashboard, API, metrics) and
 * handed to whatever reads or writes a record; nothing else constructs one.
 */
export function openStore(connection: RedisConnection, config: StoreConfig): BatchStore {
  defineStoreScripts(connection);
  return new BatchStore(connection, config.prefix);
}
