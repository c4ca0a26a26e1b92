import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { removeKeysUnder } from "@veoq/local-redis";
import { BatchStore, createQueues, createRedisConnection, submitJobId } from "@veoq/pipeline";
import { type Simulator, startSimulator } from "@veoq/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tracedRunEnv, waitForBatchFinal, writeTracedManifest } from "./traced-batch.ts";

/** The real `veoq` from its sources (apps/cli), as the CLI's own tests run it. */
const CLI = fileURLToPath(new URL("../../../apps/cli/bin/veoq-sources.js", import.meta.url));

const prefix = `{veoq-otlp-${randomBytes(4).toString("hex")}}`;
const redis = createRedisConnection("redis://127.0.0.1:6379", "producer");
const queues = createQueues(redis, prefix);

interface ReceivedSpan {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  links: { traceId: string; spanId: string }[];
  attributes: Record<string, unknown>;
}
/** OTLP/HTTP JSON posts, decoded; protobuf posts kept raw. */
const jsonSpans: ReceivedSpan[] = [];
const protobufBodies: Buffer[] = [];
let receiver: Server;
let simulator: Simulator;
let dir: string;
let enqueueExit: number | null = null;
const workers: ChildProcess[] = [];

function receive(server: Server): void {
  server.on("request", (request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (c: Buffer) => chunks.push(c));
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      if (String(request.headers["content-type"]).includes("json")) {
        const doc = JSON.parse(body.toString("utf8")) as {
          resourceSpans: {
            resource: { attributes: { key: string; value: { stringValue?: string } }[] };
            scopeSpans: {
              spans: {
                name: string;
                traceId: string;
                spanId: string;
                parentSpanId?: string;
                links?: { traceId: string; spanId: string }[];
                attributes?: { key: string; value: Record<string, unknown> }[];
              }[];
            }[];
          }[];
        };
        for (const rs of doc.resourceSpans) {
          const service =
            rs.resource.attributes.find((a) => a.key === "service.name")?.value.stringValue ?? "";
          for (const span of rs.scopeSpans.flatMap((s) => s.spans)) {
            jsonSpans.push({
              service,
              name: span.name,
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId ?? "",
              links: (span.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
              attributes: Object.fromEntries(
                (span.attributes ?? []).map((a) => [a.key, Object.values(a.value)[0]]),
              ),
            });
          }
        }
      } else {
        protobufBodies.push(body);
      }
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
}

function startWorker(roles: string, env: Record<string, string>): Promise<void> {
  const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/traced-worker.ts"], {
    cwd: fileURLToPath(new URL("..", import.meta.url)),
    env: {
      ...process.env,
      ...tracedRunEnv(prefix, simulator.url, dir),
      VEOQ_TEST_ROLES: roles,
      OTEL_BSP_SCHEDULE_DELAY: "200",
      ...env,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  workers.push(child);
  return new Promise((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("ready")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`worker (${roles}) exited with ${code}`)));
  });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "veoq-otlp-"));
  receiver = createServer();
  receive(receiver);
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  simulator = await startSimulator({ timeScale: 0.01, seed: 7 });
  // Two worker processes, each exporting OTLP/HTTP to the receiver: submit in protobuf (the
  // default protocol), poll and download in JSON.
  await Promise.all([
    startWorker("submit", {
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_SERVICE_NAME: "veoq-submit-worker",
    }),
    startWorker("poll,download", {
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_SERVICE_NAME: "veoq-poll-worker",
    }),
  ]);
  // A third process enqueues: `veoq enqueue` itself, exporting JSON (service veoq-cli).
  const manifest = await writeTracedManifest(dir, { x: "a traced video" });
  enqueueExit = await new Promise((resolve, reject) => {
    const cli = spawn(process.execPath, [CLI, "enqueue", manifest, "--batch", "o1"], {
      env: {
        ...process.env,
        ...tracedRunEnv(prefix, simulator.url, dir),
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      },
      stdio: ["ignore", "ignore", "inherit"],
    });
    cli.once("error", reject);
    cli.once("exit", resolve);
  });
  await waitForBatchFinal(new BatchStore(redis, prefix), "o1");
  // A graceful stop flushes each worker's spans.
  await Promise.all(
    workers.map((child) => {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      return exited;
    }),
  );
}, 120_000);

afterAll(async () => {
  for (const child of workers) if (child.exitCode === null) child.kill("SIGKILL");
  await queues.close();
  await simulator?.close();
  await new Promise((resolve) => receiver?.close(resolve));
  await removeKeysUnder(redis, prefix);
  redis.disconnect();
  await rm(dir, { recursive: true, force: true });
});

describe("traces across worker processes (OTLP/HTTP)", () => {
  it("traces `veoq enqueue`: its span, the item's span linked to it, BullMQ's and Redis' spans under it", () => {
    expect(enqueueExit).toBe(0);
    const cli = jsonSpans.filter((s) => s.service === "veoq-cli");
    const command = cli.find((s) => s.name === "veoq.enqueue");
    expect(command, cli.map((s) => s.name).join(", ")).toBeDefined();
    const item = cli.find((s) => s.name === "veoq.item.enqueue");
    expect(item?.attributes["veoq.custom_id"]).toBe("x");
    expect(item?.parentSpanId).toBe("");
    expect(item?.links).toEqual([{ traceId: command?.traceId, spanId: command?.spanId }]);
    const children = cli.filter((s) => s.parentSpanId === command?.spanId).map((s) => s.name);
    expect(children).toContain("addBulk submit");
    expect(cli.some((s) => s.attributes["db.system"] === "redis")).toBe(true);
  });

  it("puts the item's submit, polls and download, from two processes, in the enqueue's trace", async () => {
    const job = await queues.submit.getJob(submitJobId("o1", "x", 0));
    const traceparent = (job?.data.trace as { traceparent?: string } | undefined)?.traceparent;
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const [, traceId, enqueueSpanId] = (traceparent ?? "").split("-");

    // The CLI exported the item's span, whose traceparent the job carries.
    const enqueued = jsonSpans.find((s) => s.name === "veoq.item.enqueue");
    expect(enqueued?.service).toBe("veoq-cli");
    expect([enqueued?.traceId, enqueued?.spanId]).toEqual([traceId, enqueueSpanId]);
    // The poll/download process exported JSON: its stage spans are children of the enqueue span.
    const item = jsonSpans.filter(
      (s) => s.attributes["veoq.custom_id"] === "x" && s.service !== "veoq-cli",
    );
    expect(item.map((s) => s.name)).toEqual(expect.arrayContaining(["veoq.poll", "veoq.download"]));
    for (const span of item) {
      expect(span.service).toBe("veoq-poll-worker");
      expect(span.traceId).toBe(traceId);
      expect(span.parentSpanId).toBe(enqueueSpanId);
      expect(span.attributes["veoq.batch_id"]).toBe("o1");
      expect(span.attributes["veoq.task_id"]).toEqual(expect.any(String));
    }
    // The submit process exported protobuf: its spans carry the same trace id (raw bytes).
    const traceBytes = Buffer.from(traceId ?? "", "hex");
    const submitBodies = protobufBodies.filter((b) => b.includes(traceBytes));
    expect(submitBodies.length).toBeGreaterThan(0);
    expect(submitBodies.some((b) => b.includes(Buffer.from("veoq.submit")))).toBe(true);
    expect(submitBodies.some((b) => b.includes(Buffer.from("veoq-submit-worker")))).toBe(true);
  });
});

describe("traces of the batch commands", () => {
  /** Runs `veoq <args>` exporting OTLP/HTTP JSON to the receiver; resolves with its exit code. */
  const traced = (args: string[]) =>
    new Promise<number | null>((resolve, reject) => {
      const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
      const cli = spawn(process.execPath, [CLI, ...args], {
        env: {
          ...process.env,
          ...tracedRunEnv(prefix, simulator.url, dir),
          OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
          OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        },
        stdio: ["ignore", "ignore", "inherit"],
      });
      cli.once("error", reject);
      cli.once("exit", resolve);
    });

  it("gives `veoq retry`, `veoq resume` and `veoq cancel` a span each, with their Redis spans under it", async () => {
    for (const args of [
      ["retry", "o1", "--yes", "--json"],
      ["resume", "o1", "--json"],
      ["cancel", "o1", "--json"],
    ]) {
      expect(await traced(args), args.join(" ")).toBe(0);
      const name = `veoq.${args[0]}`;
      const command = jsonSpans.find((s) => s.service === "veoq-cli" && s.name === name);
      expect(command, `${name} among ${jsonSpans.map((s) => s.name).join(", ")}`).toBeDefined();
      const under = jsonSpans.filter((s) => s.parentSpanId === command?.spanId);
      expect(
        under.some((s) => s.attributes["db.system"] === "redis"),
        name,
      ).toBe(true);
    }
  }, 60_000);
});
