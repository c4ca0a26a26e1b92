import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { parseConfig } from "@veoq/config";
import { type LocalRedis, startLocalRedis } from "@veoq/local-redis";
import { createLogger } from "@veoq/logging";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisOutageLog, type RunningDashboard, startDashboard } from "../src/index.ts";

const lines: { level: number; msg: string }[] = [];
const logger = createLogger({
  level: "info",
  destination: new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  }),
});
const warnings = () => lines.filter((line) => line.level >= 40);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let dataDir: string;
let redisServer: LocalRedis;
let dashboard: RunningDashboard;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "veoq-dash-outage-"));
  redisServer = await startLocalRedis({ dataDir });
  const config = parseConfig({
    REDIS_URL: redisServer.url,
    VEOQ_PREFIX: `{veoq-dash-outage-${randomUUID().slice(0, 8)}}`,
  });
  // The real process wiring: the reconnect-forever connection that made Bull Board hang.
  dashboard = await startDashboard({
    config,
    logger,
    port: 0,
    app: { refreshSeconds: 0, redisTimeoutMs: 1000 },
  });
}, 30_000);

afterAll(async () => {
  await dashboard?.close();
  await redisServer?.stop().catch(() => {});
  await rm(dataDir, { recursive: true, force: true });
});

describe("while Redis is down", () => {
  it("Bull Board's API and the overview answer 503 within the bound; the outage is logged once, then its end", async () => {
    expect((await fetch(`${dashboard.url}/queues/api/queues`)).status).toBe(200);
    await redisServer.kill();

    const board = await fetch(`${dashboard.url}/queues/api/queues`);
    expect(board.status).toBe(503);
    expect(JSON.stringify(await board.json())).toContain("redis: no answer within 1000 ms");
    expect((await fetch(`${dashboard.url}/api/batches`)).status).toBe(503);
    // Bull Board's page itself needs no Redis.
    expect((await fetch(`${dashboard.url}/queues`)).status).toBe(200);

    // ioredis retries several times a second; over a few seconds that used to be a dozen lines.
    await expect.poll(() => warnings().length, { timeout: 10_000 }).toBeGreaterThan(0);
    await sleep(3000);
    expect(warnings().map((line) => line.msg)).toEqual([
      "dashboard: redis unreachable; pages answer 503 until it is back",
    ]);

    await redisServer.restart();
    await expect
      .poll(() => lines.some((line) => line.msg === "dashboard: redis reachable again"), {
        timeout: 15_000,
      })
      .toBe(true);
    expect((await fetch(`${dashboard.url}/queues/api/queues`)).status).toBe(200);
  }, 60_000);
});

describe("RedisOutageLog", () => {
  it("logs the start, then at most one reminder per interval, then the end", () => {
    const seen: string[] = [];
    const fake = {
      warn: (_fields: object, msg: string) => seen.push(`warn ${msg}`),
      info: (_fields: object, msg: string) => seen.push(`info ${msg}`),
    } as unknown as ConstructorParameters<typeof RedisOutageLog>[0]["logger"];
    let now = 0;
    const log = new RedisOutageLog({ logger: fake, repeatEveryMs: 60_000, now: () => now });
    log.ready();
    for (; now < 150_000; now += 400) log.error(new Error("ECONNREFUSED"));
    log.related(new Error("queue"));
    log.ready();
    log.ready();
    log.related(new Error("other"));
    expect(seen).toEqual([
      "warn dashboard: redis unreachable; pages answer 503 until it is back",
      "warn dashboard: redis still unreachable",
      "warn dashboard: redis still unreachable",
      "info dashboard: redis reachable again",
      "warn dashboard: queue error",
    ]);
  });
});
