import { mkdtempSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type LocalRedis, startLocalRedis } from "../src/index.ts";

function command(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.on("error", reject);
    socket.on("connect", () => socket.write(`${line}\r\n`));
    socket.on("data", (data) => {
      socket.destroy();
      resolve(data.toString());
    });
  });
}

describe("startLocalRedis", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "veoq-local-redis-"));
  let redis: LocalRedis | undefined;
  afterAll(async () => {
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("starts with veoq's durability settings and keeps writes across a SIGKILL", async () => {
    redis = await startLocalRedis({ dataDir: dir });
    expect(await command(redis.port, "CONFIG GET appendonly")).toContain("yes");
    expect(await command(redis.port, "CONFIG GET maxmemory-policy")).toContain("noeviction");
    expect(await command(redis.port, "SET durable-key kept")).toContain("OK");
    await new Promise((r) => setTimeout(r, 1200)); // appendfsync everysec
    await redis.kill();
    await redis.restart();
    expect(await command(redis.port, "GET durable-key")).toContain("kept");
  });
});
