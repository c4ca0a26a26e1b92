/**
 * A service that is told when its batch ends instead of polling: it listens for webhooks, creates
 * a batch whose `webhook_url` points at itself, and waits for the signed `batch.completed` (or
 * `batch.paused`), verifying each delivery's signature with the shared secret before trusting it.
 * Deliveries are at least once: one `webhook-id` may arrive more than once, so it remembers the
 * ids it has handled.
 *
 *   VEOQ_WEBHOOK_SECRET=whsec_... VEOQ_API_URL=http://127.0.0.1:3001 VEOQ_API_TOKEN=... \
 *     pnpm exec tsx examples/service/create-and-wait-for-webhook.ts
 *
 * The worker sends the webhooks, so it must reach this service: `PUBLIC_URL` is this service's
 * address as the worker sees it (default http://127.0.0.1:<PORT>; a loopback receiver needs
 * VEOQ_WEBHOOK_ALLOW_PRIVATE=1 on the worker).
 */
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import {
  VeoqApiError,
  VeoqClient,
  verifyWebhook,
  WebhookVerificationError,
} from "../../packages/client/src/index.ts";

const baseUrl = process.env.VEOQ_API_URL ?? "http://127.0.0.1:3001";
const token = process.env.VEOQ_API_TOKEN;
const secret = process.env.VEOQ_WEBHOOK_SECRET;
if (secret === undefined) throw new Error("set VEOQ_WEBHOOK_SECRET (the workers' signing secret)");
const batchId = process.env.BATCH_ID ?? `service-hook-${new Date().toISOString().slice(0, 10)}`;

interface BatchEvent {
  type: string;
  data: { batch_id: string; counts: Record<string, number>; results_url: string; reason?: string };
}

// Resolves with the first verified batch.completed or batch.paused of our batch.
let settle: (event: BatchEvent) => void = () => {};
const ended = new Promise<BatchEvent>((resolve) => {
  settle = resolve;
});
const handled = new Set<string>();

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    let event: BatchEvent;
    try {
      // The raw bytes as received: never parse and re-serialize before verifying.
      event = verifyWebhook(req.headers, Buffer.concat(chunks), secret) as BatchEvent;
    } catch (error) {
      if (!(error instanceof WebhookVerificationError)) throw error;
      console.error(`refused a webhook: ${error.message}`);
      res.writeHead(400).end();
      return;
    }
    res.writeHead(204).end(); // answer fast; a slow answer counts as a failed try
    const id = String(req.headers["webhook-id"]);
    if (handled.has(id)) return; // a retry of one already handled
    handled.add(id);
    console.log(`webhook ${event.type} for ${event.data.batch_id}`);
    if (
      event.data.batch_id === batchId &&
      (event.type === "batch.completed" || event.type === "batch.paused")
    ) {
      settle(event);
    }
  });
});
server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? "127.0.0.1");
await new Promise((resolve) => server.once("listening", resolve));
const port = (server.address() as AddressInfo).port;
const publicUrl = process.env.PUBLIC_URL ?? `http://127.0.0.1:${port}`;

const veoq = new VeoqClient({ baseUrl, ...(token === undefined ? {} : { token }) });
const frame = await readFile(new URL("../demo/images/first-frame.png", import.meta.url));
const image = `data:image/png;base64,${frame.toString("base64")}`;
const lines = ["a lighthouse at dusk", "a paper boat in the rain"].map((prompt, i) => ({
  custom_id: `shot-${i + 1}`,
  model: "veo-3.1-generate-img2video",
  input: { prompt, image, generate_audio: false, duration_seconds: 4 },
}));

try {
  const created = await veoq.createBatch(lines, {
    batch_id: batchId,
    webhook_url: `${publicUrl}/veoq-webhooks`,
    webhook_events: ["batch.completed", "batch.paused"],
    idempotencyKey: `create-${batchId}`,
  });
  console.log(`batch ${created.batch_id}: ${created.enqueue.added} added; waiting for its webhook`);
  const event = await ended;
  if (event.type === "batch.paused") {
    console.log(`paused (${event.data.reason}): raise its budget or resume it`);
  } else {
    console.log(
      `completed: ${JSON.stringify(event.data.counts)}; results at ${event.data.results_url}`,
    );
    for await (const result of veoq.results(batchId)) {
      console.log(`${result.custom_id}: ${result.status}`);
    }
  }
} catch (error) {
  if (!(error instanceof VeoqApiError)) throw error;
  console.error(`veoq answered ${error.status}: ${error.problem.detail}`);
  process.exitCode = 1;
} finally {
  server.close();
}
