import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { TINY_PNG } from "./bench-manifest.ts";

export interface StaticBatchOptions {
  redisUrl: string;
  prefix: string;
  /** Provider (simulator) base URL. */
  baseUrl: string;
  apiKey: string;
  manifestPath: string;
  /** The account's cap, told to the baseline: its worker concurrency. */
  concurrency: number;
  /** Poll interval (provider seconds). */
  pollSeconds: number;
  /** Real seconds per provider second. */
  timeScale: number;
  timeoutMs: number;
}

const IMAGE = `data:image/png;base64,${TINY_PNG.toString("base64")}`;

/**
 * The usual way to drive an async render API with BullMQ: one queue, a worker whose
 * concurrency is the account's known cap, and a processor that creates the task and polls it
 * every few seconds until it is final, holding its slot all along. A 429 is waited out for
 * Retry-After (or a second) and the create tried again. No downloads.
 */
export async function runStaticBatch(
  options: StaticBatchOptions,
): Promise<{ items: number; seconds: number }> {
  const lines = (await readFile(options.manifestPath, "utf8"))
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as { model: string; input: Record<string, unknown> });
  const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const workerConnection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue("static", { connection, prefix: options.prefix });
  const headers = {
    authorization: `Bearer ${options.apiKey}`,
    "content-type": "application/json",
  };
  const realMs = (providerSeconds: number) => providerSeconds * 1000 * options.timeScale;
  let done = 0;
  let allDone: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    allDone = resolve;
  });
  const worker = new Worker(
    "static",
    async (job) => {
      const { model, input } = job.data as (typeof lines)[number];
      const body = JSON.stringify({
        ...input,
        image: IMAGE,
        ...(input.last_frame_image === undefined ? {} : { last_frame_image: IMAGE }),
      });
      let taskId: string | undefined;
      while (taskId === undefined) {
        const res = await fetch(`${options.baseUrl}/v3/async/${model}`, {
          method: "POST",
          headers,
          body,
        });
        const answer = (await res.json()) as { task_id?: string };
        if (res.ok && answer.task_id) taskId = answer.task_id;
        else await sleep(1000 * Number(res.headers.get("retry-after") ?? 1));
      }
      for (;;) {
        await sleep(realMs(options.pollSeconds));
        const res = await fetch(
          `${options.baseUrl}/v3/async/task-result?task_id=${encodeURIComponent(taskId)}`,
          { headers },
        );
        if (!res.ok) continue;
        const status = ((await res.json()) as { task?: { status?: string } }).task?.status;
        if (status === "TASK_STATUS_SUCCEED" || status === "TASK_STATUS_FAILED") return;
      }
    },
    { connection: workerConnection, prefix: options.prefix, concurrency: options.concurrency },
  );
  worker.on("completed", () => {
    done++;
    if (done === lines.length) allDone();
  });
  try {
    await worker.waitUntilReady();
    const started = performance.now();
    await queue.addBulk(
      lines.map((data, i) => ({ name: "item", data, opts: { jobId: `static-${i}` } })),
    );
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`static batch not done after ${options.timeoutMs} ms`)),
        options.timeoutMs,
      );
    });
    await Promise.race([finished, timedOut]).finally(() => clearTimeout(timer));
    return { items: lines.length, seconds: (performance.now() - started) / 1000 };
  } finally {
    await worker.close();
    await queue.close();
    connection.disconnect();
    workerConnection.disconnect();
  }
}
