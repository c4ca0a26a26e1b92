import { readFile } from "node:fs/promises";
import path from "node:path";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";

/** What one in-process enqueue cost: wall, this process's CPU and the Redis server's. */
export interface EnqueueCpu {
  lines_per_s: number;
  /** This process's CPU (user + system) per line, microseconds. */
  client_cpu_us_per_line: number;
  /** The Redis server's CPU (INFO cpu, user + system) per line, microseconds. */
  redis_cpu_us_per_line: number;
}

/** The Redis server's CPU seconds so far (INFO cpu: used_cpu_user + used_cpu_sys). */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info("cpu");
  const read = (field: string) => Number(new RegExp(`^${field}:([\\d.]+)`, "m").exec(info)?.[1]);
  return read("used_cpu_user") + read("used_cpu_sys");
}

/** Runs `work` (which adds `lines` jobs) and measures it as an EnqueueCpu. */
export async function measureEnqueueCpu(
  redis: Redis,
  lines: number,
  work: () => Promise<void>,
): Promise<EnqueueCpu> {
  const redisBefore = await redisCpuSeconds(redis);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await work();
  const wall = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const redisCpu = (await redisCpuSeconds(redis)) - redisBefore;
  return {
    lines_per_s: lines / wall,
    client_cpu_us_per_line: (cpu.user + cpu.system) / lines,
    redis_cpu_us_per_line: (redisCpu * 1e6) / lines,
  };
}

/**
 * The ceiling BullMQ sets on an enqueue: bare `Queue.addBulk` of the jobs veoq adds for the
 * same manifest (the same data: the line's input with absolute image paths, a 16-character
 * request key, the trace and turn; the same options: job id, attempts, custom backoff, priority),
 * in chunks of 250 with three in flight as `enqueueManifest` sends them, each line parsed from
 * the file's text (no validation, no fingerprint, no item registry, no reuse claims).
 */
export async function bareAddBulk(
  redis: Redis,
  manifestPath: string,
  prefix: string,
): Promise<number> {
  const text = await readFile(manifestPath, "utf8");
  const dir = path.dirname(manifestPath);
  const queue = new Queue("submit", { connection: redis, prefix });
  const inFlight: Promise<unknown>[] = [];
  let turn = 0;
  let added = 0;
  let start = 0;
  try {
    while (start < text.length) {
      const jobs: Parameters<Queue["addBulk"]>[0] = [];
      while (jobs.length < 250 && start < text.length) {
        let end = text.indexOf("\n", start);
        if (end === -1) end = text.length;
        const line = text.slice(start, end);
        start = end + 1;
        if (line.trim() === "") continue;
        const entry = JSON.parse(line) as {
          custom_id: string;
          model: string;
          input: Record<string, unknown>;
        };
        const input = { ...entry.input };
        for (const field of ["image", "last_frame_image"]) {
          const value = input[field];
          if (typeof value === "string") input[field] = path.resolve(dir, value);
        }
        jobs.push({
          name: "submit",
          data: {
            v: 1,
            batchId: "bare",
            customId: entry.custom_id,
            model: entry.model,
            input,
            localImages: ["image", "last_frame_image"].filter((f) => f in input),
            submission: 0,
            trace: { enqueuedAt: Date.now(), taskIds: [], submitAttempts: 0, polls: 0 },
            request: "AAAAAAAAAAAAAAAA",
            turn,
          },
          opts: {
            jobId: `bare~${entry.custom_id}`,
            attempts: 8,
            backoff: { type: "veoq" },
            priority: 1 + turn++,
          },
        });
      }
      if (inFlight.length >= 3) await inFlight.shift();
      added += jobs.length;
      inFlight.push(queue.addBulk(jobs));
    }
    await Promise.all(inFlight);
    return added;
  } finally {
    await queue.close();
  }
}
