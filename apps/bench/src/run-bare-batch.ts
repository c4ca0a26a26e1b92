import { readFile } from "node:fs/promises";
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import type { RoleConcurrency } from "./run-veoq-batch.ts";

export interface BareBatchOptions {
  redisUrl: string;
  prefix: string;
  /** Its lines become the jobs' data, as veoq's do. */
  manifestPath: string;
  concurrency: RoleConcurrency;
  /** Jobs per addBulk, as veoq's enqueue. Default 500. */
  chunkSize?: number;
  timeoutMs: number;
}

/**
 * The baseline: three plain BullMQ queues whose processors do nothing but add the item to the
 * next queue (the last one does nothing), with veoq's concurrency per stage.
 */
export async function runBareBatch(
  options: BareBatchOptions,
): Promise<{ items: number; seconds: number }> {
  const lines = (await readFile(options.manifestPath, "utf8"))
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const connections: Redis[] = [];
  const connect = () => {
    const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
    connections.push(connection);
    return connection;
  };
  const shared = connect();
  const queueOptions = { connection: shared, prefix: options.prefix };
  const first = new Queue("bare-1", queueOptions);
  const second = new Queue("bare-2", queueOptions);
  const third = new Queue("bare-3", queueOptions);
  let done = 0;
  let allDone: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    allDone = resolve;
  });
  const workerOptions = (concurrency: number) => ({
    connection: connect(),
    prefix: options.prefix,
    concurrency,
  });
  const workers = [
    new Worker(
      "bare-1",
      async (job) => {
        await second.add("step", job.data, { jobId: `${job.id}-2` });
      },
      workerOptions(options.concurrency.submit),
    ),
    new Worker(
      "bare-2",
      async (job) => {
        await third.add("step", job.data, { jobId: `${job.id}-3` });
      },
      workerOptions(options.concurrency.poll),
    ),
    new Worker("bare-3", async () => {}, workerOptions(options.concurrency.download)),
  ];
  workers[2]?.on("completed", () => {
    done++;
    if (done === lines.length) allDone();
  });
  try {
    await Promise.all(workers.map((w) => w.waitUntilReady()));
    const started = performance.now();
    const chunkSize = options.chunkSize ?? 500;
    for (let i = 0; i < lines.length; i += chunkSize) {
      await first.addBulk(
        lines.slice(i, i + chunkSize).map((data, j) => ({
          name: "step",
          data,
          opts: { jobId: `bare-${i + j}` },
        })),
      );
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`bare batch not done after ${options.timeoutMs} ms`)),
        options.timeoutMs,
      );
    });
    await Promise.race([finished, timedOut]).finally(() => clearTimeout(timer));
    return { items: lines.length, seconds: (performance.now() - started) / 1000 };
  } finally {
    await Promise.all(workers.map((w) => w.close()));
    await Promise.all([first.close(), second.close(), third.close()]);
    for (const connection of connections) connection.disconnect();
  }
}
