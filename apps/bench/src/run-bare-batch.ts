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

/** A manifest's lines as the bare jobs' data. */
export async function readBareLines(manifestPath: string): Promise<Record<string, unknown>[]> {
  return (await readFile(manifestPath, "utf8"))
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/**
 * The baseline's three plain BullMQ queues, whose processors do nothing but add the item to the
 * next queue (the last one does nothing), with veoq's concurrency per stage. The jobs can be
 * added before the workers start (the command count) or after (the timed run).
 */
export class BarePipeline {
  readonly first: Queue;
  private readonly second: Queue;
  private readonly third: Queue;
  private readonly connections: Redis[] = [];
  private workers: Worker[] = [];
  private readonly redisUrl: string;
  private readonly prefix: string;

  constructor(redisUrl: string, prefix: string) {
    this.redisUrl = redisUrl;
    this.prefix = prefix;
    const queueOptions = { connection: this.connect(), prefix };
    this.first = new Queue("bare-1", queueOptions);
    this.second = new Queue("bare-2", queueOptions);
    this.third = new Queue("bare-3", queueOptions);
  }

  private connect(): Redis {
    const connection = new Redis(this.redisUrl, { maxRetriesPerRequest: null });
    this.connections.push(connection);
    return connection;
  }

  /** Adds one job per line to the first queue, `chunkSize` per addBulk. */
  async add(lines: readonly Record<string, unknown>[], chunkSize: number): Promise<void> {
    for (let i = 0; i < lines.length; i += chunkSize) {
      await this.first.addBulk(
        lines.slice(i, i + chunkSize).map((data, j) => ({
          name: "step",
          data,
          opts: { jobId: `bare-${i + j}` },
        })),
      );
    }
  }

  /** Starts the three workers; resolves once they are ready, with the end of `total` items. */
  async startWorkers(
    concurrency: RoleConcurrency,
    total: number,
  ): Promise<{ finished: Promise<void> }> {
    let done = 0;
    let allDone: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      allDone = resolve;
    });
    const workerOptions = (count: number) => ({
      connection: this.connect(),
      prefix: this.prefix,
      concurrency: count,
    });
    this.workers = [
      new Worker(
        "bare-1",
        async (job) => {
          await this.second.add("step", job.data, { jobId: `${job.id}-2` });
        },
        workerOptions(concurrency.submit),
      ),
      new Worker(
        "bare-2",
        async (job) => {
          await this.third.add("step", job.data, { jobId: `${job.id}-3` });
        },
        workerOptions(concurrency.poll),
      ),
      new Worker("bare-3", async () => {}, workerOptions(concurrency.download)),
    ];
    this.workers[2]?.on("completed", () => {
      done++;
      if (done === total) allDone();
    });
    await Promise.all(this.workers.map((w) => w.waitUntilReady()));
    return { finished };
  }

  async stopWorkers(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
    this.workers = [];
  }

  async close(): Promise<void> {
    await this.stopWorkers();
    await Promise.all([this.first.close(), this.second.close(), this.third.close()]);
    for (const connection of this.connections) connection.disconnect();
  }
}

/** The baseline run: the workers started, then the lines added, timed to the last item. */
export async function runBareBatch(
  options: BareBatchOptions,
): Promise<{ items: number; seconds: number }> {
  const lines = await readBareLines(options.manifestPath);
  const bare = new BarePipeline(options.redisUrl, options.prefix);
  try {
    const { finished } = await bare.startWorkers(options.concurrency, lines.length);
    const started = performance.now();
    await bare.add(lines, options.chunkSize ?? 500);
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
    await bare.close();
  }
}
