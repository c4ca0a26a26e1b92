import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness, img2videoLine } from "./pipeline-harness.ts";

const CHILD = fileURLToPath(new URL("./worker-process-child.ts", import.meta.url));
/** What `RunningWorkers.close` waits for jobs in progress before it abandons them to stall recovery. */
const CLOSE_TIMEOUT_MS = 30_000;
const ITEMS = 16;

let h: Harness;
let child: ChildProcess | undefined;

beforeAll(async () => {
  // Every API request takes about a second, so creates and polls are in flight at any moment.
  h = await createHarness({ simulator: { latencyMs: { min: 700, max: 1200 } } });
});

afterAll(async () => {
  child?.kill("SIGKILL");
  await h?.close();
});

/** Starts the child worker process on the harness's Redis prefix and simulator. */
async function startChild(): Promise<{ process: ChildProcess; output: () => string }> {
  const proc = spawn(process.execPath, ["--import", "tsx", CHILD], {
    env: {
      ...process.env,
      REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
      VEOQ_PREFIX: h.config.prefix,
      JIEKOU_BASE_URL: h.config.baseUrl,
      JIEKOU_API_KEY: "sim-key",
      VEOQ_OUTPUT_DIR: h.config.outputDir,
      VEOQ_TIME_SCALE: String(h.config.timeScale),
      VEOQ_PROVIDER_RPM: "0",
      VEOQ_RETRY_BASE_MS: "20",
      VEOQ_SUBMIT_CONCURRENCY: "4",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child = proc;
  let output = "";
  proc.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  proc.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  await h.waitFor(async () => output.includes('"workers started"'), "the child's workers", 30_000);
  return { process: proc, output: () => output };
}

const activeJobs = async () =>
  (
    await Promise.all(
      [h.queues.submit, h.queues.poll, h.queues.download].map((q) => q.getActiveCount()),
    )
  ).reduce((a, b) => a + b, 0);

describe("graceful stop", () => {
  it("a worker process SIGTERMed mid-batch finishes or returns its jobs within the grace period; nothing is lost or created twice", async () => {
    const manifest = await h.writeManifest(
      Array.from({ length: ITEMS }, (_, i) => img2videoLine(`item-${i}`, { duration_seconds: 4 })),
    );
    await h.enqueue(manifest, "drain");
    const worker = await startChild();
    // Mid-batch: some tasks created, creates in flight, the batch far from done.
    let activeAtSignal = 0;
    await h.waitFor(
      async () => {
        activeAtSignal = await activeJobs();
        return h.simulator.stats().creates.accepted >= 2 && activeAtSignal >= 2;
      },
      "creates in flight",
      30_000,
    );
    const batchAtSignal = await h.store.getBatch("drain");
    const signalledAt = Date.now();
    worker.process.kill("SIGTERM");
    const [code] = await once(worker.process, "exit");
    const drainMs = Date.now() - signalledAt;
    child = undefined;
    console.log(
      `graceful stop: drained ${activeAtSignal} active jobs in ${drainMs} ms (close timeout ${CLOSE_TIMEOUT_MS} ms)`,
    );
    expect(batchAtSignal?.counts.completed ?? 0).toBeLessThan(ITEMS);
    expect(code).toBe(0);
    expect(drainMs).toBeLessThan(CLOSE_TIMEOUT_MS);
    expect(worker.output()).toContain("shut down cleanly");
    expect(worker.output()).not.toContain("recovered as stalled");
    // Every job it held is finished or back in its queue: none is left locked for stall recovery.
    expect(await activeJobs()).toBe(0);

    // Another worker finishes the batch: every item rendered, each task created exactly once.
    await h.start({ lockDurationMs: 15_000 });
    await h.waitForBatch("drain", 60_000);
    const batch = await h.store.getBatch("drain");
    expect(batch?.counts).toMatchObject({ completed: ITEMS, failed: 0 });
    expect(h.simulator.stats().creates.accepted).toBe(ITEMS);
  });
});
