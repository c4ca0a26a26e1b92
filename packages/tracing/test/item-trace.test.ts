import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { parseConfig, type VeoqConfig } from "@veoq/config";
import { removeKeysUnder } from "@veoq/local-redis";
import { createLogger } from "@veoq/logging";
import {
  BatchStore,
  createQueues,
  createRedisConnection,
  enqueueManifest,
  type RunningWorkers,
  retryFailedItems,
  startWorkers,
} from "@veoq/pipeline";
import { type Simulator, startSimulator } from "@veoq/simulator";
import { startWebhookWorker } from "@veoq/webhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTracing, type Tracing } from "../src/index.ts";
import { tracedRunEnv, waitForBatchFinal, waitUntil, writeTracedManifest } from "./traced-batch.ts";

const prefix = `{veoq-trace-${randomBytes(4).toString("hex")}}`;
const redis = createRedisConnection("redis://127.0.0.1:6379", "producer");
const queues = createQueues(redis, prefix);
const exporter = new InMemorySpanExporter();
const logLines: string[] = [];
let simulator: Simulator;
let tracing: Tracing;
let workers: RunningWorkers;
let dir: string;
let config: VeoqConfig;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "veoq-trace-"));
  simulator = await startSimulator({ timeScale: 0.01, seed: 7 });
  tracing = await startTracing({ serviceName: "veoq-test", env: {}, exporter });
  config = parseConfig(tracedRunEnv(prefix, simulator.url, dir));
  const logger = createLogger({
    level: "debug",
    destination: new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    }),
  });
  workers = await startWorkers({
    config,
    apiKey: "sim-key",
    logger,
    tracer: tracing.tracer,
    telemetry: tracing.telemetry,
  });
  const manifest = await writeTracedManifest(dir, { a: "a test a", b: "a test b" });
  const store = new BatchStore(redis, prefix);
  await tracing.inSpan("veoq.enqueue", { "veoq.batch_id": "t1" }, () =>
    enqueueManifest({
      manifestPath: manifest,
      batchId: "t1",
      queues,
      store,
      submitAttempts: 3,
      tracer: tracing.tracer,
    }),
  );
  await waitForBatchFinal(store, "t1");
  await waitUntil(
    () => ["a", "b"].every((id) => spansOf(id).some((s) => s.name === "veoq.download")),
    "the download spans",
  );
}, 90_000);

afterAll(async () => {
  await workers?.close(5_000);
  await tracing?.shutdown();
  await queues.close();
  await simulator?.close();
  await removeKeysUnder(redis, prefix);
  redis.disconnect();
  await rm(dir, { recursive: true, force: true });
});

const spansOf = (customId: string) =>
  exporter.getFinishedSpans().filter((s) => s.attributes["veoq.custom_id"] === customId);
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe("one trace per item", () => {
  it("makes the enqueue span the parent of the item's submit, every poll and the download", () => {
    const traces = new Set<string>();
    for (const customId of ["a", "b"]) {
      const spans = spansOf(customId);
      const [root] = spans.filter((s) => s.name === "veoq.item.enqueue");
      expect(root, `enqueue span of ${customId}`).toBeDefined();
      if (root === undefined) continue;
      const { traceId, spanId } = root.spanContext();
      traces.add(traceId);
      // A new trace per item, linked to the command's veoq.enqueue span.
      expect(parentOf(root)).toBeUndefined();
      expect(root.links).toHaveLength(1);
      const stages = spans.filter((s) => s !== root);
      const names = stages.map((s) => s.name);
      expect(names).toContain("veoq.submit");
      expect(names).toContain("veoq.poll");
      expect(names).toContain("veoq.download");
      for (const stage of stages) {
        const what = `${stage.name} of ${customId}: ${JSON.stringify(stage.attributes)}`;
        expect(stage.spanContext().traceId, what).toBe(traceId);
        expect(parentOf(stage), what).toBe(spanId);
        expect(stage.attributes["veoq.batch_id"], what).toBe("t1");
        expect(stage.attributes["veoq.model"], what).toBe("veo-3.1-generate-img2video");
      }
      const poll = stages.find((s) => s.name === "veoq.poll");
      expect(poll?.attributes["veoq.task_id"]).toEqual(expect.any(String));
    }
    expect(traces.size).toBe(2);
  });

  it("puts the provider requests under the stage spans, without URLs", () => {
    const all = exporter.getFinishedSpans();
    const stageIds = new Map(
      all.filter((s) => s.name.startsWith("veoq.")).map((s) => [s.spanContext().spanId, s]),
    );
    const provider = all.filter((s) => s.name.startsWith("provider "));
    expect(provider.map((s) => s.name)).toEqual(
      expect.arrayContaining(["provider create", "provider task-result", "provider download"]),
    );
    for (const span of provider) {
      const stage = stageIds.get(parentOf(span) ?? "");
      expect(stage, span.name).toBeDefined();
      expect(span.spanContext().traceId).toBe(stage?.spanContext().traceId);
      expect(JSON.stringify(span.attributes)).not.toMatch(/https?:|sim-key/);
    }
  });

  it("puts the stages' Redis commands under their spans, without keys or values", () => {
    const all = exporter.getFinishedSpans();
    const stageIds = new Set(
      all
        .filter((s) => ["veoq.submit", "veoq.poll", "veoq.download"].includes(s.name))
        .map((s) => s.spanContext().spanId),
    );
    const redisSpans = all.filter((s) => s.attributes["db.system"] === "redis");
    const underStages = redisSpans.filter((s) => stageIds.has(parentOf(s) ?? ""));
    expect(underStages.length).toBeGreaterThan(0);
    expect(JSON.stringify(redisSpans.map((s) => s.attributes))).not.toContain(prefix);
  });

  it("records BullMQ's own spans (bullmq-otel) on the queues and workers", () => {
    const names = new Set(exporter.getFinishedSpans().map((s) => s.name));
    expect([...names].some((n) => /^(process|add|addBulk) /.test(n))).toBe(true);
  });

  it("records BullMQ's own spans on the webhook delivery queue and worker too", async () => {
    const webhooks = await startWebhookWorker({
      config,
      logger: createLogger({ level: "silent" }),
      telemetry: tracing.telemetry,
    });
    await webhooks.close();
    const closed = exporter.getFinishedSpans().filter((s) => s.name === "close webhooks");
    expect(closed.length).toBeGreaterThan(0);
  });

  it("writes trace_id and span_id on the stages' log lines", () => {
    const rootTrace = spansOf("a")
      .find((s) => s.name === "veoq.item.enqueue")
      ?.spanContext().traceId;
    const lines = logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.customId === "a" && l.trace_id !== undefined);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.trace_id === rootTrace && typeof l.span_id === "string")).toBe(
      true,
    );
  });

  it("makes a server span per HTTP request, continuing the caller's trace (the dashboard's)", async () => {
    const server = createServer((request, response) =>
      tracing.httpSpans(request, response, () => response.writeHead(204).end()),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const caller = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    try {
      const { port } = server.address() as AddressInfo;
      const answer = await fetch(`http://127.0.0.1:${port}/api/batches?q=secret-term`, {
        headers: { traceparent: caller },
      });
      expect(answer.status).toBe(204);
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    const span = exporter.getFinishedSpans().find((s) => s.name === "GET /api/batches");
    expect(span?.spanContext().traceId).toBe("0af7651916cd43dd8448eb211c80319c");
    expect(parentOf(span as ReadableSpan)).toBe("b7ad6b7169203331");
    expect(span?.attributes["http.response.status_code"]).toBe(204);
    expect(JSON.stringify(span?.attributes)).not.toContain("secret-term");
  });
});

describe("a retried item's trace", () => {
  it("starts under `veoq retry`'s span: the re-queued item's new submit and polls are children of its retry span", async () => {
    const store = new BatchStore(redis, prefix);
    const manifest = await writeTracedManifest(dir, { f: "a failing test [sim:fail]" });
    await enqueueManifest({
      manifestPath: manifest,
      batchId: "t2",
      queues,
      store,
      submitAttempts: 3,
    });
    await waitForBatchFinal(store, "t2");
    const before = exporter.getFinishedSpans().length;
    const summary = await tracing.inSpan("veoq.retry", { "veoq.batch_id": "t2" }, () =>
      retryFailedItems(store, queues, "t2", {
        submitAttempts: 3,
        includePermanent: true,
        tracer: tracing.tracer,
      }),
    );
    expect(summary.retried).toBe(1);
    await waitForBatchFinal(store, "t2");
    const later = () => exporter.getFinishedSpans().slice(before);
    const retrySpan = () => later().find((s) => s.name === "veoq.item.retry");
    await waitUntil(
      () =>
        later().some(
          (s) =>
            s.name === "veoq.poll" &&
            s.spanContext().traceId === retrySpan()?.spanContext().traceId,
        ),
      "the retried item's poll span",
    );
    const command = later().find((s) => s.name === "veoq.retry");
    const [root] = later().filter((s) => s.name === "veoq.item.retry");
    expect(command).toBeDefined();
    expect(root?.attributes["veoq.custom_id"]).toBe("f");
    expect(parentOf(root as ReadableSpan)).toBeUndefined();
    expect(root?.links.map((l) => l.context.spanId)).toEqual([command?.spanContext().spanId]);
    // Its trace, not the enqueue's: only the stages that ran after the retry.
    const stages = exporter
      .getFinishedSpans()
      .filter((s) => s.spanContext().traceId === root?.spanContext().traceId && s !== root)
      .filter((s) => ["veoq.submit", "veoq.poll"].includes(s.name));
    expect(stages.map((s) => s.name)).toEqual(expect.arrayContaining(["veoq.submit", "veoq.poll"]));
    for (const stage of stages) {
      expect(stage.spanContext().traceId, stage.name).toBe(root?.spanContext().traceId);
      expect(parentOf(stage), stage.name).toBe(root?.spanContext().spanId);
    }
  }, 60_000);
});
