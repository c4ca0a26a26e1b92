import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type LocalRedis, startLocalRedis } from "@veoq/local-redis";
import { afterAll, beforeAll } from "vitest";

/**
 * A private redis-server for the tests of the enclosing file (the harness empties its Redis
 * between measurements, so it never runs against the shared one). Read `url` inside tests.
 */
export function usePrivateRedis(): { readonly url: string } {
  let redis: LocalRedis | undefined;
  let dataDir: string | undefined;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "veoq-bench-test-"));
    redis = await startLocalRedis({ dataDir });
  });
  afterAll(async () => {
    await redis?.stop();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });
  return {
    get url() {
      if (redis === undefined) throw new Error("the private Redis is not started yet");
      return redis.url;
    },
  };
}
