import { randomBytes } from "node:crypto";
import diagnostics from "node:diagnostics_channel";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { removeKeysUnder } from "@veoq/local-redis";
import { createRedisConnection } from "@veoq/pipeline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTracing, type Tracing } from "../src/index.ts";

const prefix = `{veoq-redisspans-${randomBytes(4).toString("hex")}}`;
const SECRET_VALUE = `value-${randomBytes(6).toString("hex")}`;
const redis = createRedisConnection("redis://127.0.0.1:6379", "producer");
const exporter = new InMemorySpanExporter();
const commandChannel = diagnostics.tracingChannel("ioredis:command");
let tracing: Tracing | undefined;

beforeAll(async () => {
  // Connected before tracing starts: the spans come from ioredis' channel, not from wrapping
  // the connections veoq makes (BullMQ's own duplicates are covered the same way).
  await redis.ping();
  tracing = await startTracing({ serviceName: "veoq-test", env: {}, exporter });
});

afterAll(async () => {
  await tracing?.shutdown();
  await removeKeysUnder(redis, prefix);
  redis.disconnect();
});

describe("Redis commands as spans", () => {
  it("makes a client span per command under an active span, and none without one", async () => {
    if (tracing === undefined) throw new Error("tracing did not start");
    exporter.reset();
    const key = `${prefix}:plain`;
    // No active span: no span.
    await redis.set(`${prefix}:outside`, SECRET_VALUE);
    expect(exporter.getFinishedSpans()).toEqual([]);

    await tracing.inSpan("veoq.test", {}, async () => {
      await redis.set(key, SECRET_VALUE);
      await redis.pipeline().get(key).hset(`${prefix}:h`, "field", SECRET_VALUE).exec();
    });
    const spans = exporter.getFinishedSpans();
    const parent = spans.find((s) => s.name === "veoq.test");
    const commands = spans.filter((s) => s !== parent);
    expect(commands.map((s) => s.name)).toEqual(["SET", "GET", "HSET"]);
    for (const span of commands) {
      expect(span.parentSpanContext?.spanId).toBe(parent?.spanContext().spanId);
      expect(span.spanContext().traceId).toBe(parent?.spanContext().traceId);
      expect(span.attributes["db.system"]).toBe("redis");
      expect(span.attributes["db.operation"]).toBe(span.name);
      expect(span.attributes["db.operation.name"]).toBe(span.name);
    }
    // Never an argument: no key, no value.
    const recorded = JSON.stringify(commands.map((s) => [s.name, s.attributes, s.events]));
    expect(recorded).not.toContain(prefix);
    expect(recorded).not.toContain(SECRET_VALUE);
    expect(recorded).not.toContain("field");
  });

  it("marks a failed command by its error class, without the reply's text", async () => {
    if (tracing === undefined) throw new Error("tracing did not start");
    exporter.reset();
    const key = `${prefix}:not-a-number`;
    await redis.set(key, SECRET_VALUE);
    await tracing.inSpan("veoq.test", {}, async () => {
      await expect(redis.incr(key)).rejects.toThrow(/not an integer/);
    });
    const incr = exporter.getFinishedSpans().find((s) => s.name === "INCR");
    expect(incr?.status.code).toBe(2); // SpanStatusCode.ERROR
    expect(incr?.status.message).toBeUndefined();
    expect(incr?.attributes["error.type"]).toBe("ReplyError");
    expect(JSON.stringify([incr?.attributes, incr?.events])).not.toMatch(/integer|value-/);
  });

  it("leaves ioredis' channel without subscribers once tracing stops (off costs nothing)", async () => {
    expect(commandChannel.hasSubscribers).toBe(true);
    await tracing?.shutdown();
    tracing = undefined;
    expect(commandChannel.hasSubscribers).toBe(false);
  });
});
