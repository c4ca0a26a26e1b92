import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { type RunningApi, startApi } from "@veoq/api";
import { parseConfig, type VeoqConfig } from "@veoq/config";
import { startDashboard } from "@veoq/dashboard";
import { removeKeysUnder } from "@veoq/local-redis";
import { createLogger } from "@veoq/logging";
import {
  BatchStore,
  createRedisConnection,
  type RunningWorkers,
  startWorkers,
} from "@veoq/pipeline";
import { type Simulator, startSimulator } from "@veoq/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTracing, type Tracing } from "../src/index.ts";
import { tracedRunEnv, waitForBatchFinal, waitUntil } from "./traced-batch.ts";

const TINY_PNG =
  "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
/** The trace context of the API's caller (a service that sends W3C traceparent). */
const CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN = "00f067aa0ba902b7";

const prefix = `{veoq-apitrace-${randomBytes(4).toString("hex")}}`;
const redis = createRedisConnection("redis://127.0.0.1:6379", "producer");
const exporter = new InMemorySpanExporter();
let simulator: Simulator;
let tracing: Tracing;
let workers: RunningWorkers;
let api: RunningApi;
let dir: string;
let answer: number;
let config: VeoqConfig;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "veoq-apitrace-"));
  simulator = await startSimulator({ timeScale: 0.01, seed: 7 });
  tracing = await startTracing({ serviceName: "veoq-test", env: {}, exporter });
  config = parseConfig(tracedRunEnv(prefix, simulator.url, dir));
  const logger = createLogger({ level: "silent" });
  workers = await startWorkers({
    config,
    apiKey: "sim-key",
    logger,
    tracer: tracing.tracer,
    telemetry: tracing.telemetry,
  });
  api = await startApi({
    config,
    logger,
    host: "127.0.0.1",
    port: 0,
    tracing: {
      requestSpan: tracing.httpSpans,
      itemTracer: tracing.requestItemTracer,
      telemetry: tracing.telemetry,
    },
  });
  const items = ["p", "q"].map((id) => ({
    custom_id: id,
    model: "veo-3.1-generate-img2video",
    input: { prompt: `an api traced video ${id}`, image: TINY_PNG, generate_audio: false },
  }));
  const response = await fetch(`${api.url}/v1/batches`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01`,
    },
    body: JSON.stringify({ batch_id: "api1", items }),
  });
  answer = response.status;
  await response.arrayBuffer();
  await waitForBatchFinal(new BatchStore(redis, prefix), "api1");
  await waitUntil(
    () =>
      ["p", "q"].every((id) =>
        exporter
          .getFinishedSpans()
          .some((s) => s.name === "veoq.download" && s.attributes["veoq.custom_id"] === id),
      ),
    "the download spans",
  );
}, 90_000);

afterAll(async () => {
  await api?.close();
  await workers?.close(5_000);
  await tracing?.shutdown();
  await simulator?.close();
  await removeKeysUnder(redis, prefix);
  redis.disconnect();
  await rm(dir, { recursive: true, force: true });
});

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe("an item enqueued through the HTTP API", () => {
  it("has its submit, every poll and the download in the API request's trace", () => {
    expect(answer).toBe(201);
    const spans = exporter.getFinishedSpans();
    // The request's server span continues the caller's trace.
    const request = spans.find((s) => s.name === "POST /v1/batches");
    expect(request, spans.map((s) => s.name).join(", ")).toBeDefined();
    if (request === undefined) return;
    expect(request.spanContext().traceId).toBe(CALLER_TRACE);
    expect(parentOf(request)).toBe(CALLER_SPAN);
    expect(request.attributes["http.response.status_code"]).toBe(201);
    // BullMQ's own span of the API's queue (bullmq-otel) is in the request too.
    const adds = spans.filter((s) => /^(add|addBulk) /.test(s.name));
    expect(adds.some((s) => parentOf(s) === request.spanContext().spanId)).toBe(true);
    for (const customId of ["p", "q"]) {
      const item = spans.filter((s) => s.attributes["veoq.custom_id"] === customId);
      const root = item.find((s) => s.name === "veoq.item.enqueue");
      expect(root, `item span of ${customId}`).toBeDefined();
      if (root === undefined) continue;
      // The item's span is a child of the request's span: no trace of its own, no link.
      expect(root.spanContext().traceId).toBe(CALLER_TRACE);
      expect(parentOf(root)).toBe(request.spanContext().spanId);
      expect(root.links).toEqual([]);
      const stages = item.filter((s) => s !== root);
      expect(stages.map((s) => s.name)).toEqual(
        expect.arrayContaining(["veoq.submit", "veoq.poll", "veoq.download"]),
      );
      for (const stage of stages) {
        const what = `${stage.name} of ${customId}`;
        expect(stage.spanContext().traceId, what).toBe(CALLER_TRACE);
        expect(parentOf(stage), what).toBe(root.spanContext().spanId);
        expect(stage.attributes["veoq.batch_id"], what).toBe("api1");
      }
    }
  });

  it("makes a server span for the API's other requests too (route, status, no query string)", async () => {
    const response = await fetch(`${api.url}/v1/batches/api1/items?state=completed`);
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    await new Promise((r) => setTimeout(r, 50));
    const span = exporter.getFinishedSpans().find((s) => s.name === "GET /v1/batches/:id/items");
    expect(span?.attributes["http.route"]).toBe("/v1/batches/:id/items");
    expect(span?.attributes["http.response.status_code"]).toBe(200);
    expect(JSON.stringify(span?.attributes)).not.toContain("completed");
  });
});

describe("the dashboard's HTTP requests", () => {
  it("are server spans continuing the caller's trace, and its queues carry BullMQ's spans", async () => {
    const dashboard = await startDashboard({
      config,
      logger: createLogger({ level: "silent" }),
      host: "127.0.0.1",
      port: 0,
      app: { requestSpan: tracing.httpSpans },
      telemetry: tracing.telemetry,
    });
    try {
      const caller = "0af7651916cd43dd8448eb211c80319c";
      const response = await fetch(`${dashboard.url}/healthz`, {
        headers: { traceparent: `00-${caller}-b7ad6b7169203331-01` },
      });
      expect(response.status).toBe(200);
      await response.arrayBuffer();
      await new Promise((r) => setTimeout(r, 50));
      const span = exporter.getFinishedSpans().find((s) => s.name === "GET /healthz");
      expect(span?.spanContext().traceId).toBe(caller);
      expect(span?.attributes["http.route"]).toBe("/healthz");
      expect(span?.attributes["http.response.status_code"]).toBe(200);
    } finally {
      await dashboard.close();
    }
    // Closing the dashboard's queues is a BullMQ span of its own (bullmq-otel on them).
    const closed = exporter.getFinishedSpans().filter((s) => /^close /.test(s.name));
    expect(closed.length).toBeGreaterThanOrEqual(3);
  });
});
