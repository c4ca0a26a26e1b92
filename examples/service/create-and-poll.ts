/**
 * A minimal service that renders through veoq's HTTP API: it creates a batch from a few lines
 * (with an Idempotency-Key derived from the job, so a restart of this service mid-request
 * enqueues nothing twice), waits until every item is final, and prints where each video is.
 *
 *   VEOQ_API_URL=http://127.0.0.1:3001 VEOQ_API_TOKEN=... pnpm exec tsx examples/service/create-and-poll.ts
 *
 * (A service that is told when the batch ends, by a signed webhook instead of polling, comes
 * with the webhooks: `webhook_url` below.)
 */
import { readFile } from "node:fs/promises";
import { VeoqApiError, VeoqClient } from "../../packages/client/src/index.ts";

const baseUrl = process.env.VEOQ_API_URL ?? "http://127.0.0.1:3001";
const token = process.env.VEOQ_API_TOKEN;
const batchId = process.env.BATCH_ID ?? `service-${new Date().toISOString().slice(0, 10)}`;

const veoq = new VeoqClient({ baseUrl, ...(token === undefined ? {} : { token }) });

// Images travel inline (a data URI) or as URLs: the API does not read files of its own machine.
const frame = await readFile(new URL("../demo/images/first-frame.png", import.meta.url));
const image = `data:image/png;base64,${frame.toString("base64")}`;
const lines = ["a lighthouse at dusk", "a paper boat in the rain", "a fox in fresh snow"].map(
  (prompt, i) => ({
    custom_id: `shot-${i + 1}`,
    model: "veo-3.1-generate-img2video",
    input: { prompt, image, generate_audio: false, duration_seconds: 4 },
    metadata: { scene: i + 1 },
  }),
);

try {
  const estimate = await veoq.estimate(lines);
  console.log(`estimate: ${estimate.tasks} tasks, ${estimate.cost} ${estimate.currency}`);
  const created = await veoq.createBatch(lines, {
    batch_id: batchId,
    budget: Math.ceil(estimate.cost * 1.5),
    idempotencyKey: `create-${batchId}`,
    ...(process.env.WEBHOOK_URL === undefined ? {} : { webhook_url: process.env.WEBHOOK_URL }),
  });
  console.log(
    `batch ${created.batch_id}: ${created.enqueue.added} added, ${created.enqueue.already_present} already there`,
  );
  const done = await veoq.waitForBatch(created.batch_id, { intervalMs: 2000 });
  console.log(
    `finished: ${done.counts.completed} completed, ${done.counts.failed} failed, spent ${done.spend.spent} ${done.spend.currency}`,
  );
  for await (const result of veoq.results(created.batch_id)) {
    if (result.status === "completed") {
      result.files.forEach((_file, n) => {
        console.log(`${result.custom_id}: ${veoq.fileUrl(result.batch_id, result.custom_id, n)}`);
      });
    } else {
      console.log(
        `${result.custom_id}: ${result.status}${"error_message" in result && result.error_message ? ` (${result.error_message})` : ""}`,
      );
    }
  }
} catch (error) {
  if (error instanceof VeoqApiError) {
    console.error(`veoq answered ${error.status}: ${error.problem.detail}`);
    for (const line of error.problem.invalid_lines ?? []) {
      for (const e of line.errors) console.error(`  line ${line.line} ${e.path}: ${e.message}`);
    }
    process.exitCode = 1;
  } else {
    throw error;
  }
}
