import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { writeBenchManifest } from "./bench-manifest.ts";
import {
  flushBenchRedis,
  redisForks,
  settleRedisPersistence,
  usedMemoryBytes,
} from "./bench-redis.ts";
import { childEnvironment } from "./env.ts";
import { runMeasured } from "./memory-cost.ts";
import { percentile } from "./percentile.ts";

/** The compiled CLI (buildApps builds it first). */
const CLI = fileURLToPath(new URL("../../cli/dist/veoq.js", import.meta.url));

export interface ScaleCostOptions {
  redisUrl: string;
  /** Lines of the one lite batch. */
  lines: number;
  /** Requests per page or read; p50 and p95 are over them. Default 10. */
  requests?: number;
  onStep?: (line: string) => void;
}

/** One read's times over `requests` requests (ms). */
export interface ReadTiming {
  what: string;
  url: string;
  p50_ms: number;
  p95_ms: number;
  max_ms: number;
  /** Forks of Redis (snapshot, AOF rewrite) while these requests ran: each blocks it a while. */
  redis_forks: number;
}

export interface ScaleCost {
  lines: number;
  enqueue_wall_s: number;
  enqueue_lines_per_s: number;
  enqueue_cpu_s: number;
  enqueue_peak_rss_mb: number;
  redis_used_mb: number;
  redis_bytes_per_job: number;
  /** `veoq status big --json`, medians of 5: CPU (user + sys) and wall. */
  status_cpu_s: number;
  status_wall_s: number;
  reads: ReadTiming[];
  /** How long the snapshot taken before the reads blocked Redis (its fork), ms. */
  redis_fork_ms: number;
  /** `veoq results big --out FILE`: lines written per wall second. */
  results_lines_per_s: number;
  results_wall_s: number;
}

const BATCH = "big";

/**
 * One lite batch of `lines` lines enqueued by the real `veoq enqueue` into the private Redis (no
 * workers), then what reading it costs: `status`, the dashboard's pages and JSON, the HTTP API's
 * batch and item reads, search, and `results`. Every page view should be bounded, whatever the
 * batch's length.
 */
export async function measureScaleCost(options: ScaleCostOptions): Promise<ScaleCost> {
  const requests = options.requests ?? 10;
  const log = options.onStep ?? (() => {});
  const dir = await mkdtemp(path.join(tmpdir(), "veoq-bench-scale-"));
  const prefix = "{bench-scale}";
  const env = childEnvironment({
    REDIS_URL: options.redisUrl,
    VEOQ_PREFIX: prefix,
    LOG_LEVEL: "warn",
    VEOQ_API_TOKENS: "",
  });
  const children: ChildProcess[] = [];
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1 });
  try {
    const manifestPath = await writeBenchManifest({
      dir,
      name: "big.jsonl",
      items: options.lines,
      model: "veo-3.1-lite-firstlastframe",
    });
    log(
      `  manifest: ${options.lines} lines, ${((await stat(manifestPath)).size / 2 ** 20).toFixed(0)} MB`,
    );
    await flushBenchRedis(options.redisUrl);
    const before = await usedMemoryBytes(redis);
    const enqueue = await runMeasured(
      [CLI, "enqueue", manifestPath, "--json", "--batch", BATCH],
      env,
    );
    if (enqueue.exitCode !== 0) {
      throw new Error(
        `veoq enqueue exited with ${enqueue.exitCode}: ${enqueue.stderr.slice(-1500)}`,
      );
    }
    const added = (
      JSON.parse(enqueue.stdout.trim().split("\n").pop() ?? "{}") as { added?: number }
    ).added;
    if (added !== options.lines) throw new Error(`veoq enqueue added ${added} of ${options.lines}`);
    const after = await usedMemoryBytes(redis);
    log(
      `  enqueue: ${enqueue.wallSeconds.toFixed(1)} s (${(options.lines / enqueue.wallSeconds).toFixed(0)} lines/s), peak RSS ${(enqueue.peakRssKb / 1024).toFixed(0)} MB; Redis ${((after - before) / 2 ** 20).toFixed(0)} MB`,
    );

    const statusRuns: { cpu: number; wall: number }[] = [];
    for (let i = 0; i < 5; i++) {
      const status = await runMeasured([CLI, "status", BATCH, "--json"], env);
      if (status.exitCode !== 0) throw new Error(`veoq status exited with ${status.exitCode}`);
      statusRuns.push({ cpu: status.cpuSeconds, wall: status.wallSeconds });
    }

    const [dashboardPort, apiPort] = [await freePort(), await freePort()];
    children.push(await startServer(["dashboard", "--port", String(dashboardPort)], env));
    children.push(await startServer(["api", "--port", String(apiPort)], env));
    const dashboard = `http://127.0.0.1:${dashboardPort}`;
    const api = `http://127.0.0.1:${apiPort}`;
    const deep = Math.max(0, Math.floor(options.lines * 0.9));
    const cursor = Buffer.from(`o:${deep}`).toString("base64url");
    const reads: [string, string][] = [
      ["dashboard /", `${dashboard}/`],
      [`dashboard /batches/${BATCH}`, `${dashboard}/batches/${BATCH}`],
      [`dashboard /api/batches/${BATCH}`, `${dashboard}/api/batches/${BATCH}`],
      [
        `dashboard queued items at offset ${deep}`,
        `${dashboard}/batches/${BATCH}?state=queued&offset=${deep}`,
      ],
      [
        `dashboard /api items at offset ${deep}`,
        `${dashboard}/api/batches/${BATCH}/items?state=queued&offset=${deep}`,
      ],
      ["dashboard search", `${dashboard}/search?q=item-0999`],
      [`API /v1/batches/${BATCH}`, `${api}/v1/batches/${BATCH}`],
      [`API items at offset ${deep}`, `${api}/v1/batches/${BATCH}/items?cursor=${cursor}`],
    ];
    // After a million writes the production settings have a snapshot due (`save 300 100`) and
    // may be rewriting the AOF: both fork the 1.5 GB server, which stalls it for a while. The
    // reads are measured once that is done, and each read's forks are counted.
    await settleRedisPersistence(redis, 600_000);
    const forkMs = (await redisForks(redis)).latestMs;
    log(`  Redis persistence settled (snapshot fork ${forkMs.toFixed(0)} ms); reading`);
    const timings: ReadTiming[] = [];
    for (const [what, url] of reads) {
      const forksBefore = (await redisForks(redis)).total;
      const ms: number[] = [];
      for (let i = 0; i < requests; i++) {
        const started = performance.now();
        const response = await fetch(url);
        await response.arrayBuffer();
        if (!response.ok) throw new Error(`${what}: HTTP ${response.status}`);
        ms.push(performance.now() - started);
      }
      timings.push({
        what,
        url: url.replace(/^http:\/\/127\.0\.0\.1:\d+/, ""),
        p50_ms: percentile(ms, 50),
        p95_ms: percentile(ms, 95),
        max_ms: Math.max(...ms),
        redis_forks: (await redisForks(redis)).total - forksBefore,
      });
    }

    const out = path.join(dir, "results.jsonl");
    const results = await runMeasured([CLI, "results", BATCH, "--out", out], env);
    if (results.exitCode !== 0) throw new Error(`veoq results exited with ${results.exitCode}`);
    const cpu = statusRuns.map((r) => r.cpu).sort((a, b) => a - b);
    const wall = statusRuns.map((r) => r.wall).sort((a, b) => a - b);
    return {
      lines: options.lines,
      enqueue_wall_s: enqueue.wallSeconds,
      enqueue_lines_per_s: options.lines / enqueue.wallSeconds,
      enqueue_cpu_s: enqueue.cpuSeconds,
      enqueue_peak_rss_mb: enqueue.peakRssKb / 1024,
      redis_used_mb: (after - before) / 2 ** 20,
      redis_bytes_per_job: (after - before) / options.lines,
      status_cpu_s: cpu[2] ?? Number.NaN,
      status_wall_s: wall[2] ?? Number.NaN,
      reads: timings,
      redis_fork_ms: forkMs,
      results_lines_per_s: options.lines / results.wallSeconds,
      results_wall_s: results.wallSeconds,
    };
  } finally {
    for (const child of children) {
      if (child.exitCode === null) {
        const exited = once(child, "exit");
        child.kill("SIGTERM");
        await exited;
      }
    }
    redis.disconnect();
    await flushBenchRedis(options.redisUrl);
    await rm(dir, { recursive: true, force: true });
  }
}

/** A port nothing listens on now. */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  if (address === null || typeof address === "string") throw new Error("no free port");
  return address.port;
}

/** Starts `veoq <args>` and waits for its first line (the server prints its URL when it listens). */
async function startServer(args: string[], env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  await Promise.race([
    once(lines, "line"),
    once(child, "exit").then(([code]) => {
      throw new Error(`veoq ${args[0]} exited with ${code}`);
    }),
  ]);
  return child;
}
