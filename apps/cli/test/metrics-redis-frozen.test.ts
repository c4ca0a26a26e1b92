import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isRedisServerInstalled, type LocalRedis, startLocalRedis } from "@veoq/local-redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningCli, startCli } from "./run-cli.ts";

/** The promise: a scrape answers within this, whatever Redis does. */
const SCRAPE_BOUND_MS = 5_000;

/**
 * A worker's and the dashboard's /metrics, real processes, while their private Redis is frozen
 * (SIGSTOP: connections accepted, nothing answered) and then down: each scrape answers within
 * SCRAPE_BOUND_MS with `veoq_redis_up 0`.
 */
describe.skipIf(!isRedisServerInstalled())("/metrics while Redis is frozen or down", () => {
  const dir = mkdtempSync(join(tmpdir(), "veoq-metrics-frozen-"));
  let redis: LocalRedis;
  let worker: RunningCli;
  let dashboard: RunningCli;
  const urls: Record<"worker" | "dashboard", string> = { worker: "", dashboard: "" };

  beforeAll(async () => {
    redis = await startLocalRedis({ dataDir: join(dir, "redis") });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      REDIS_URL: redis.url,
      VEOQ_PREFIX: `{veoq-frozen-${randomBytes(4).toString("hex")}}`,
      JIEKOU_BASE_URL: "http://127.0.0.1:9",
      JIEKOU_API_KEY: "sim-key",
      LOG_LEVEL: "warn",
    };
    worker = startCli(["worker", "--json", "--metrics-port", "0"], env);
    dashboard = startCli(["dashboard", "--port", "0"], env);
    const [started, listening] = await Promise.all([
      worker.waitFor(/"metrics_url":"([^"]+)"/),
      dashboard.waitFor(/dashboard +(http:\/\/\S+)/),
    ]);
    urls.worker = started[1] as string;
    urls.dashboard = listening[1] as string;
  }, 60_000);

  afterAll(async () => {
    redis?.thaw();
    await Promise.all([worker?.stop(), dashboard?.stop()]);
    await redis?.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  /** One scrape: its status, `veoq_redis_up`, and how long it took. */
  async function scrape(which: keyof typeof urls) {
    const started = Date.now();
    const response = await fetch(`${urls[which]}/metrics`, {
      signal: AbortSignal.timeout(SCRAPE_BOUND_MS),
    });
    const body = await response.text();
    const up = /^veoq_redis_up (\d)$/m.exec(body)?.[1];
    return { status: response.status, up, ms: Date.now() - started };
  }

  it("answers with veoq_redis_up 1 while Redis answers", async () => {
    expect(await scrape("worker")).toMatchObject({ status: 200, up: "1" });
    expect(await scrape("dashboard")).toMatchObject({ status: 200, up: "1" });
  });

  it("answers within 5 s with veoq_redis_up 0 while Redis is frozen, twice in a row", async () => {
    redis.freeze();
    for (let round = 0; round < 2; round++) {
      const [w, d] = await Promise.all([scrape("worker"), scrape("dashboard")]);
      expect(w).toMatchObject({ status: 200, up: "0" });
      expect(d).toMatchObject({ status: 200, up: "0" });
      console.log(`frozen, round ${round + 1}: worker ${w.ms} ms, dashboard ${d.ms} ms`);
    }
    redis.thaw();
    await expect.poll(async () => (await scrape("worker")).up, { timeout: 20_000 }).toBe("1");
  }, 60_000);

  it("answers within 5 s with veoq_redis_up 0 while Redis is down", async () => {
    await redis.kill();
    const [w, d] = await Promise.all([scrape("worker"), scrape("dashboard")]);
    expect(w).toMatchObject({ status: 200, up: "0" });
    expect(d).toMatchObject({ status: 200, up: "0" });
    console.log(`down: worker ${w.ms} ms, dashboard ${d.ms} ms`);
  }, 60_000);
});
