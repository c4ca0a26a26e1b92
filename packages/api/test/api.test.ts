import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { VeoqApiError, verifyWebhook } from "@veoq/client";
import { createLogger } from "@veoq/logging";
import { type RunningWebhookWorker, startWebhookWorker } from "@veoq/webhooks";
import Ajv2020 from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startWebhookReceiver,
  type WebhookReceiver,
} from "../../webhooks/test/webhook-receiver.ts";
import { API_ROUTES, API_VERSION, createOpenApiDocument } from "../src/index.ts";
import {
  type ApiHarness,
  apiLine,
  createApiHarness,
  type Json,
  jsonOf,
  READ_TOKEN,
  WRITE_TOKEN,
} from "./api-harness.ts";

let h: ApiHarness;
let receiver: WebhookReceiver;
let webhooks: RunningWebhookWorker;
const WEBHOOK_SECRET = `whsec_${randomBytes(24).toString("base64")}`;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  h = await createApiHarness({
    VEOQ_WEBHOOK_SECRET: WEBHOOK_SECRET,
    VEOQ_WEBHOOK_ALLOW_PRIVATE: "1",
    VEOQ_WEBHOOK_RETRY_SCHEDULE: "300ms,300ms,300ms",
  });
  await h.pipeline.start();
  webhooks = await startWebhookWorker({
    config: h.pipeline.config,
    logger: createLogger({ level: "silent" }),
    lockDurationMs: 2_000,
    stalledIntervalMs: 1_000,
  });
});

afterAll(async () => {
  await webhooks?.close();
  await h?.close();
  await receiver?.close();
});

const post = (urlPath: string, body: unknown, headers: Record<string, string> = {}) =>
  h.fetch(`${h.api.url}${urlPath}`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${WRITE_TOKEN}`,
      "content-type": "application/json",
      ...headers,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

describe("the API in front of real workers", () => {
  it("creates a batch through the client that completes, with its results and files", async () => {
    const created = await h.client.createBatch([apiLine("a-1"), apiLine("a-2")], {
      batch_id: "api-proof",
      budget: 100,
    });
    expect(created.batch_id).toBe("api-proof");
    expect(created.total).toBe(2);
    expect(created.enqueue).toMatchObject({ lines: 2, valid: 2, invalid: 0, added: 2 });
    expect(created.enqueue.estimate?.tasks).toBe(2);
    expect(created.spend.budget).toEqual({ amount: 100, currency: "USD" });
    expect(created.spend.prices.unverified).toBe(true);
    expect(created.enqueue.budget_below_estimate).toBe(false);
    expect(created.control.state).toBe("running");

    const done = await h.client.waitForBatch("api-proof", { intervalMs: 100, timeoutMs: 60_000 });
    expect(done.counts.completed).toBe(2);
    expect(done.finished).toBe(true);
    // The same state and control as `veoq status --json`, and spent that reconciles.
    expect(done.state).toBe("finished");
    expect(done.control.state).toBe("finished");
    expect(done.spend.spent_by_kind.first_creates.creates).toBe(2);
    expect(done.spend.spent).toEqual(done.spend.estimate);

    const results = [];
    for await (const line of h.client.results("api-proof")) results.push(line);
    expect(results.map((r) => r.custom_id)).toEqual(["a-1", "a-2"]);
    expect(results.every((r) => r.status === "completed")).toBe(true);
    // ?order=finished: by the time each became final.
    const byFinish: typeof results = [];
    for await (const line of h.client.results("api-proof", { order: "finished" })) {
      byFinish.push(line);
    }
    const finishedAt = (r: (typeof byFinish)[number]) =>
      "finished_at" in r && r.finished_at !== null ? Date.parse(r.finished_at) : 0;
    expect(byFinish.map((r) => r.custom_id)).toEqual(
      [...results].sort((x, y) => finishedAt(x) - finishedAt(y)).map((r) => r.custom_id),
    );
    const badOrder = await h.fetch(`${h.api.url}/v1/batches/api-proof/results?order=random`, {
      headers: { authorization: `Bearer ${READ_TOKEN}` },
    });
    expect(badOrder.status).toBe(400);

    const item = await h.readClient.getItem("api-proof", "a-1");
    expect(item.status).toBe("completed");
    const file = await h.readClient.downloadFile("api-proof", "a-1", 0);
    const bytes = Buffer.from(await file.arrayBuffer());
    expect(file.headers.get("content-type")).toBe("video/mp4");
    const saved = item.status === "completed" ? item.files[0] : undefined;
    expect(bytes.length).toBe(saved?.bytes);
    expect(
      bytes.equals(await readFile(path.join(h.pipeline.config.outputDir, saved?.path ?? ""))),
    ).toBe(true);

    const items = [];
    for await (const i of h.client.items("api-proof", { pageSize: 1 })) items.push(i.custom_id);
    expect(items.sort()).toEqual(["a-1", "a-2"]);
    const page = await h.client.listItems("api-proof", { state: "completed", limit: 1 });
    expect(page).toMatchObject({ total: 2, state: "completed" });
    expect(page.next_cursor).not.toBeNull();

    const list = await h.readClient.listBatches();
    expect(list.batches.map((b) => b.batch_id)).toContain("api-proof");
  });

  it("replays a POST sent again with its Idempotency-Key and creates nothing", async () => {
    const body = { batch_id: "api-idem", items: [apiLine("i-1")], priority: "low" };
    const first = await post("/v1/batches", body, { "idempotency-key": "create-api-idem" });
    expect(first.status).toBe(201);
    const firstBody = await jsonOf(first);
    const jobsBefore = await h.pipeline.queues.submit.getJobCountByTypes(
      "waiting",
      "prioritized",
      "active",
      "delayed",
      "completed",
      "failed",
    );

    const again = await post("/v1/batches", body, { "idempotency-key": "create-api-idem" });
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await jsonOf(again)).toEqual(firstBody);
    const jobsAfter = await h.pipeline.queues.submit.getJobCountByTypes(
      "waiting",
      "prioritized",
      "active",
      "delayed",
      "completed",
      "failed",
    );
    expect(jobsAfter).toBe(jobsBefore);
    expect((await h.pipeline.store.getBatch("api-idem"))?.total).toBe(1);

    // The same key with another body is refused, and changes nothing.
    const other = await post(
      "/v1/batches",
      { ...body, items: [apiLine("i-1"), apiLine("i-2")] },
      { "idempotency-key": "create-api-idem" },
    );
    expect(other.status).toBe(422);
    expect(other.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect((await jsonOf(other)).type).toBe("urn:veoq:problem:idempotency-key-reused");
    expect((await h.pipeline.store.getBatch("api-idem"))?.total).toBe(1);
    // Without a key, the same lines again add nothing either (batch and custom_id).
    const plain = await post("/v1/batches", body);
    expect(plain.status).toBe(200);
    expect((await jsonOf(plain)).enqueue).toMatchObject({ added: 0, already_present: 1 });
    await h.pipeline.waitForBatch("api-idem", 60_000);
  });

  it("answers 401 without a valid token and 403 for a read token on a mutating route", async () => {
    const none = await h.fetch(`${h.api.url}/v1/batches`);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    const wrong = await h.fetch(`${h.api.url}/v1/batches`, {
      headers: { authorization: `Bearer ${WRITE_TOKEN}x` },
    });
    expect(wrong.status).toBe(401);
    const read = await h.fetch(`${h.api.url}/v1/batches/api-proof/pause`, {
      method: "POST",
      headers: { authorization: `Bearer ${READ_TOKEN}` },
    });
    expect(read.status).toBe(403);
    expect((await jsonOf(read)).type).toBe("urn:veoq:problem:forbidden");
    expect((await h.readClient.getBatch("api-proof")).batch_id).toBe("api-proof");
  });

  it("refuses a manifest with invalid lines (every line's error, nothing enqueued) unless skip_invalid", async () => {
    const items = [
      apiLine("v-1"),
      { custom_id: "v-2", model: "veo-3.1-generate-img2video", input: { prompt: "x" } },
      apiLine("v-1"),
      { ...apiLine("v-4"), input: { ...apiLine("v-4").input, image: "frame.png" } },
    ];
    const refused = await post("/v1/batches", { batch_id: "api-invalid", items });
    expect(refused.status).toBe(422);
    const problem = await jsonOf(refused);
    expect(problem.type).toBe("urn:veoq:problem:invalid-manifest");
    expect(problem.invalid).toBe(3);
    expect(problem.invalid_lines.map((l: { line: number }) => l.line)).toEqual([2, 3, 4]);
    expect(problem.invalid_lines[2].errors[0]).toMatchObject({ path: "input.image" });
    expect(problem.invalid_lines[2].errors[0].message).toMatch(/local file path/);
    expect(await h.pipeline.store.getBatch("api-invalid")).toBeUndefined();

    const skipped = await post("/v1/batches", {
      batch_id: "api-invalid",
      items,
      skip_invalid: true,
    });
    expect(skipped.status).toBe(201);
    const body = await jsonOf(skipped);
    expect(body.enqueue).toMatchObject({ lines: 4, valid: 1, invalid: 3, added: 1 });
    expect(body.enqueue.invalid_lines).toHaveLength(3);
    await h.pipeline.waitForBatch("api-invalid", 60_000);
  });

  it("takes the manifest as NDJSON, options in the query", async () => {
    const ndjson = `${JSON.stringify(apiLine("n-1"))}\n\n${JSON.stringify(apiLine("n-2"))}\n`;
    const created = await h.client.createBatchFromNdjson(ndjson, {
      batch_id: "api-ndjson",
      priority: "high",
      budget: 12.5,
    });
    expect(created.enqueue).toMatchObject({ lines: 2, added: 2 });
    expect(created.priority).toBe("high");
    expect(created.spend.budget).toEqual({ amount: 12.5, currency: "USD" });
    // 12.50 USD covers the two lines: no warning.
    expect(created.enqueue.budget_below_estimate).toBe(false);
    const capped = await h.client.createBatch([apiLine("c-1")], {
      batch_id: "api-capped",
      budget: 0.01,
    });
    expect(capped.enqueue.budget_below_estimate).toBe(true);
    const broken = await h.fetch(`${h.api.url}/v1/batches?batch_id=api-ndjson-bad`, {
      method: "POST",
      headers: { authorization: `Bearer ${WRITE_TOKEN}`, "content-type": "application/x-ndjson" },
      body: `${JSON.stringify(apiLine("n-1"))}\n{"custom_id": "n-2",\n`,
    });
    expect(broken.status).toBe(422);
    expect((await jsonOf(broken)).invalid_lines[0].line).toBe(2);
    const estimate = await h.readClient.estimate([apiLine("e-1"), apiLine("e-2")]);
    expect(estimate).toMatchObject({
      tasks: 2,
      valid: 2,
      invalid: 0,
      prices: "default-prices.json",
    });
    await h.pipeline.waitForBatch("api-ndjson", 60_000);
  });

  it("pauses, resumes, cancels, sets budget and priority, and retries only what was agreed", async () => {
    await h.client.createBatch([apiLine("r-1", "a doomed video [sim:fail]")], {
      batch_id: "api-retry",
    });
    await h.pipeline.waitForBatch("api-retry", 60_000);
    const refused = await h.client
      .retry("api-retry", { includePermanent: true })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(VeoqApiError);
    expect((refused as VeoqApiError).status).toBe(409);
    expect((refused as VeoqApiError).problem.retry_plan).toMatchObject({ resubmit: 1 });
    expect((await h.client.getBatch("api-retry")).counts.failed).toBe(1);
    const free = await h.client.retry("api-retry");
    expect(free).toMatchObject({ outcome: "nothing_to_retry", retried: 0 });
    const paid = await h.client.retry("api-retry", { includePermanent: true, maxResubmits: 1 });
    expect(paid).toMatchObject({ outcome: "retried", retried: 1 });

    expect(await h.client.pause("api-retry")).toMatchObject({ action: "pause", changed: true });
    expect((await h.client.getBatch("api-retry")).control).toMatchObject({
      state: "paused",
      reason: "user",
    });
    expect(await h.client.resume("api-retry")).toMatchObject({ action: "resume", changed: true });
    expect(await h.client.setBudget("api-retry", 3)).toMatchObject({
      budget: { amount: 3, currency: "USD" },
      resumed: false,
    });
    expect(await h.client.setPriority("api-retry", "low")).toMatchObject({ priority: "low" });
    expect(await h.client.cancel("api-retry", { dropInFlight: true })).toMatchObject({
      action: "cancel",
      changed: true,
    });
    await h.pipeline.waitFor(
      async () => (await h.client.getBatch("api-retry")).finished,
      "the cancelled batch to be final",
      60_000,
    );
  });

  it("deletes a batch (DELETE /v1/batches/{id}): 409 while items are open, then gone once cancelled", async () => {
    // A budget below one create: the batch pauses at the spend gate, its items stay queued.
    await h.client.createBatch([apiLine("d-1"), apiLine("d-2")], {
      batch_id: "api-delete",
      budget: 0.01,
    });
    const refused = await h.client.deleteBatch("api-delete").catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(VeoqApiError);
    expect((refused as VeoqApiError).status).toBe(409);
    expect((refused as VeoqApiError).problem.detail).toContain("cancel it first");
    expect((await h.client.getBatch("api-delete")).total).toBe(2);

    await h.client.cancel("api-delete");
    const deleted = await h.client.deleteBatch("api-delete", { files: true });
    expect(deleted).toMatchObject({ batch_id: "api-delete", items: 2, files: 0 });
    const gone = await h.client.getBatch("api-delete").catch((e: unknown) => e);
    expect((gone as VeoqApiError).status).toBe(404);
    expect((await h.client.listBatches()).batches.map((b) => b.batch_id)).not.toContain(
      "api-delete",
    );
    const again = await h.client.deleteBatch("api-delete").catch((e: unknown) => e);
    expect((again as VeoqApiError).status).toBe(404);
  });

  it("answers problems for unknown batches, items, files and routes", async () => {
    const missing = await h.client.getBatch("no-such-batch").catch((e: unknown) => e);
    expect((missing as VeoqApiError).status).toBe(404);
    expect((missing as VeoqApiError).problem.type).toBe("urn:veoq:problem:not-found");
    expect(
      ((await h.client.getItem("api-proof", "nope").catch((e: unknown) => e)) as VeoqApiError)
        .status,
    ).toBe(404);
    const file = await h.fetch(`${h.api.url}/v1/files/api-proof/a-1/7`, {
      headers: { authorization: `Bearer ${READ_TOKEN}` },
    });
    expect(file.status).toBe(404);
    const route = await h.fetch(`${h.api.url}/v1/nothing`, {
      headers: { authorization: `Bearer ${READ_TOKEN}` },
    });
    expect(route.status).toBe(404);
    const badJson = await post("/v1/batches/api-proof/retry", "{not json");
    expect(badJson.status).toBe(400);
    const badField = await h.fetch(`${h.api.url}/v1/batches/api-proof/budget`, {
      method: "PUT",
      headers: { authorization: `Bearer ${WRITE_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ budget: -1 }),
    });
    expect(badField.status).toBe(422);
    expect((await jsonOf(badField)).errors[0].path).toBe("budget");
  });

  it("calls a batch's webhook_url with one signed batch.completed, and shows and replays the delivery", async () => {
    // The receiver's token rides in the query: the API never shows it.
    const hook = `${receiver.url}/hooks/api?token=receiver-token-123`;
    await h.client.createBatch([apiLine("w-1")], {
      batch_id: "api-webhook",
      webhook_url: hook,
      webhook_events: ["batch.completed"],
    });
    const at = () => receiver.received.filter((r) => r.path.startsWith("/hooks/api"));
    await h.client.waitForBatch("api-webhook", { intervalMs: 100, timeoutMs: 60_000 });
    await h.pipeline.waitFor(
      async () => at().length >= 1,
      "batch.completed at the receiver",
      15_000,
    );
    await new Promise((r) => setTimeout(r, 1_000)); // time for any duplicate to arrive
    expect(at()).toHaveLength(1);
    const first = at()[0];
    expect(first?.path).toBe("/hooks/api?token=receiver-token-123");
    const event = verifyWebhook(first?.headers ?? {}, first?.rawBody ?? "", WEBHOOK_SECRET) as Json;
    expect(event.type).toBe("batch.completed");
    expect(event.data).toMatchObject({ batch_id: "api-webhook", finished: true });
    expect(() => verifyWebhook(first?.headers ?? {}, first?.rawBody ?? "", "whsec_AAAA")).toThrow();

    const log = await h.readClient.webhookDeliveries("api-webhook");
    expect(log.batch_id).toBe("api-webhook");
    expect(log.deliveries).toHaveLength(1);
    const delivery = log.deliveries[0];
    expect(delivery).toMatchObject({
      type: "batch.completed",
      state: "delivered",
      url: `${receiver.url}/hooks/api`,
      webhook_id: first?.headers["webhook-id"],
    });
    expect(delivery?.attempts.map((a) => a.status)).toEqual([200]);
    expect(JSON.stringify(log)).not.toContain("receiver-token-123");

    // A read token may see the log but not replay; an unknown delivery is a 404.
    const id = delivery?.delivery_id ?? "";
    await expect(h.readClient.replayWebhook(id)).rejects.toMatchObject({ status: 403 });
    await expect(h.client.replayWebhook("api-webhook~nothing")).rejects.toMatchObject({
      status: 404,
    });
    const replayed = await h.client.replayWebhook(id);
    expect(replayed).toMatchObject({
      delivery_id: id,
      replays: 1,
      url: `${receiver.url}/hooks/api`,
    });
    expect(JSON.stringify(replayed)).not.toContain("receiver-token-123");
    await h.pipeline.waitFor(async () => at().length >= 2, "the replay at the receiver", 15_000);
    const again = at()[1];
    expect(again?.headers["webhook-id"]).toBe(first?.headers["webhook-id"]);
    expect(again?.rawBody).toBe(first?.rawBody);
    expect(() =>
      verifyWebhook(again?.headers ?? {}, again?.rawBody ?? "", WEBHOOK_SECRET),
    ).not.toThrow();
    await expect(h.readClient.webhookDeliveries("no-such-batch")).rejects.toMatchObject({
      status: 404,
    });
  });

  it("documents every route in /openapi.json, and every response seen validates against it", async () => {
    const served = await jsonOf(await fetch(`${h.api.url}/openapi.json`));
    expect(served).toEqual(
      JSON.parse(JSON.stringify(createOpenApiDocument(API_ROUTES, API_VERSION))),
    );
    expect(served.openapi).toBe("3.1.0");
    for (const route of API_ROUTES) {
      expect(
        served.paths[route.path]?.[route.method],
        `${route.method} ${route.path}`,
      ).toBeDefined();
    }
    const documented = Object.entries(served.paths).flatMap(([p, ops]) =>
      Object.keys(ops as object).map((m) => `${m} ${p}`),
    );
    expect(documented.sort()).toEqual(API_ROUTES.map((r) => `${r.method} ${r.path}`).sort());

    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    ajv.addSchema(served, "openapi");
    const patterns = API_ROUTES.map((route) => ({
      route,
      regex: new RegExp(`^${route.path.replace(/\{[^}]+\}/g, "[^/]+")}$`),
    }));
    // The check can fail: a batch without its fields is not a documented answer.
    const batchSchema = ajv.getSchema(
      "openapi#/paths/~1v1~1batches~1{id}/get/responses/200/content/application~1json/schema",
    );
    expect(batchSchema?.({ batch_id: "x" })).toBe(false);
    let checked = 0;
    const statuses = new Set<string>();
    for (const response of h.seen) {
      const match = patterns.find(
        (p) => p.route.method === response.method && p.regex.test(response.path),
      );
      if (match === undefined) continue; // an unknown route: its 404 is checked above
      const pointer = `openapi#/paths/${match.route.path.replace(/~/g, "~0").replace(/\//g, "~1")}/${match.route.method}/responses/${response.status}/content/${response.contentType.replace(/\//g, "~1")}/schema`;
      const validate = ajv.getSchema(pointer);
      expect(
        validate,
        `documented: ${response.method} ${response.path} ${response.status} ${response.contentType}`,
      ).toBeDefined();
      const bodies =
        response.contentType === "application/jsonl"
          ? response.body.split("\n").filter((l) => l !== "")
          : [response.body];
      for (const body of bodies) {
        const ok = validate?.(JSON.parse(body));
        expect(
          ok,
          `${response.method} ${response.path} ${response.status}: ${JSON.stringify(validate?.errors)}`,
        ).toBe(true);
      }
      statuses.add(`${response.method} ${match.route.path} ${response.status}`);
      checked++;
    }
    expect(checked).toBeGreaterThan(30);
    // Responses of every route were seen (the files route answers video/mp4, checked by type).
    const seenRoutes = new Set([...statuses].map((s) => s.split(" ").slice(0, 2).join(" ")));
    for (const route of API_ROUTES.filter((r) => r.operationId !== "getFile")) {
      expect(seenRoutes.has(`${route.method} ${route.path}`), `${route.method} ${route.path}`).toBe(
        true,
      );
    }
  });
});
