import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTracing, type Tracing } from "../src/index.ts";

// The SDK reads OTEL_TRACES_SAMPLER from the process environment when the provider is built
// (this file runs in a process of its own, as vitest runs every file).
const exporter = new InMemorySpanExporter();
let tracing: Tracing;

beforeAll(async () => {
  process.env.OTEL_TRACES_SAMPLER = "always_off";
  tracing = await startTracing({ serviceName: "veoq-test", env: process.env, exporter });
});

afterAll(async () => {
  await tracing?.shutdown();
  delete process.env.OTEL_TRACES_SAMPLER;
});

describe("OTEL_TRACES_SAMPLER", () => {
  it("is honoured: always_off records nothing, and the item's traceparent says not sampled", async () => {
    const traceparent = tracing.tracer.startItem({ batchId: "s1", customId: "a" });
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    await tracing.inSpan("veoq.enqueue", {}, async () => {
      await tracing.tracer.inStage("submit", { batchId: "s1", customId: "a", traceparent }, () =>
        Promise.resolve(),
      );
    });
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});
