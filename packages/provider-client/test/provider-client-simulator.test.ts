import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CreateRequest } from "@veoq/contract";
import { type Simulator, simulatedFileBytes, startSimulator } from "@veoq/simulator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createProviderClient, type ProviderClient } from "../src/index.ts";
import { providerErrorOf } from "./test-server.ts";

const SIM_KEY = "sim-key";
const SLUG = "veo-3.1-lite-firstlastframe";
const BODY = {
  prompt: "a lighthouse at dusk",
  image: "https://example.com/first.png",
  last_frame_image: "https://example.com/last.png",
} as CreateRequest;
/** What BODY asks for: the provider's defaults. */
const BODY_VIDEO = { durationSeconds: 8, width: 1280, height: 720, audio: false };
const FILE_SIZE = 4096;
/** Longer than any lite task (30-90 provider seconds at timeScale 1). */
const TASK_DONE_MS = 120_000;

let sim: Simulator;
let client: ProviderClient;
let nowMs: number;
let dir: string;

/** Creates a task, lets the simulated clock run past its end, and returns its first file URL. */
async function finishedVideoUrl(): Promise<{ taskId: string; url: string }> {
  const { taskId } = await client.createTask(SLUG, BODY);
  nowMs += TASK_DONE_MS;
  const result = await client.getTaskResult(taskId);
  expect(result.status).toBe("SUCCEED");
  const url = result.videos[0]?.url;
  if (url === undefined) throw new Error("no video url");
  return { taskId, url };
}

beforeEach(async () => {
  nowMs = Date.parse("2025-06-01T00:00:00Z");
  sim = await startSimulator({ clock: () => nowMs, fileSizeBytes: FILE_SIZE, urlTtlSeconds: 600 });
  client = createProviderClient({ baseUrl: sim.url, apiKey: SIM_KEY, now: () => nowMs });
  dir = await mkdtemp(join(tmpdir(), "veoq-provider-client-sim-"));
});

afterEach(async () => {
  await client.close();
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

describe("against @veoq/simulator", () => {
  it("creates, polls and downloads a video", async () => {
    const { taskId, url } = await finishedVideoUrl();
    const dest = join(dir, "v.mp4");
    const result = await client.downloadFile(url, dest, { expectedBytes: FILE_SIZE });
    const expected = simulatedFileBytes(taskId, 0, BODY_VIDEO, FILE_SIZE);
    expect(result).toEqual({
      bytes: FILE_SIZE,
      sha256: createHash("sha256").update(expected).digest("hex"),
      contentType: "video/mp4",
    });
  });

  it("invalid_request: a body the provider rejects", async () => {
    const error = await providerErrorOf(client.createTask(SLUG, { prompt: "x" } as CreateRequest));
    expect(error).toMatchObject({ kind: "invalid_request", status: 400 });
    expect(error.providerMessage).toBeDefined();
  });

  it("unauthorized: an unknown key, which never shows in the error", async () => {
    const stranger = createProviderClient({ baseUrl: sim.url, apiKey: "sk-not-a-sim-key" });
    try {
      const error = await providerErrorOf(stranger.createTask(SLUG, BODY));
      expect(error).toMatchObject({ kind: "unauthorized", status: 401 });
      expect(`${error.message} ${JSON.stringify(error)}`).not.toContain("sk-not-a-sim-key");
    } finally {
      await stranger.close();
    }
  });

  it("payment_required: an exhausted balance", async () => {
    sim.setFaults({ exhaustedKeys: [SIM_KEY] });
    const error = await providerErrorOf(client.createTask(SLUG, BODY));
    expect(error).toMatchObject({ kind: "payment_required", status: 402 });
  });

  it("rate_limited (rate): the per-key token bucket, with Retry-After", async () => {
    sim.setFaults({ rateLimit: { requestsPerSecond: 1, burst: 1, retryAfterSeconds: 2 } });
    await client.createTask(SLUG, BODY);
    const error = await providerErrorOf(client.createTask(SLUG, BODY));
    expect(error).toMatchObject({ kind: "rate_limited", limitScope: "rate", retryAfterMs: 2000 });
  });

  it("rate_limited (concurrency): too many tasks in flight", async () => {
    sim.setFaults({ maxConcurrentTasks: 1, concurrencyRetryAfterSeconds: 3 });
    await client.createTask(SLUG, BODY);
    const error = await providerErrorOf(client.createTask(SLUG, BODY));
    expect(error).toMatchObject({
      kind: "rate_limited",
      limitScope: "concurrency",
      retryAfterMs: 3000,
    });
  });

  it("not_found: an unknown task id", async () => {
    const error = await providerErrorOf(client.getTaskResult("no-such-task"));
    expect(error).toMatchObject({ kind: "not_found", status: 404 });
  });

  it("transient: injected 5xx on create and task-result", async () => {
    sim.setFaults({ serverErrorRate: 1 });
    const create = await providerErrorOf(client.createTask(SLUG, BODY));
    expect(create.kind).toBe("transient");
    expect([500, 502, 503]).toContain(create.status);
    expect((await providerErrorOf(client.getTaskResult("t"))).kind).toBe("transient");
  });

  it("transient: a dropped task-result connection", async () => {
    sim.setFaults({ dropConnectionRate: 1 });
    const error = await providerErrorOf(client.getTaskResult("t"));
    expect(error).toMatchObject({ kind: "transient", status: undefined });
  });

  it("transient: the simulator is gone", async () => {
    await sim.close();
    expect((await providerErrorOf(client.createTask(SLUG, BODY))).kind).toBe("transient");
  });

  it("ambiguous: the task is created, then the connection drops", async () => {
    sim.setFaults({ dropAfterCreateRate: 1 });
    const error = await providerErrorOf(client.createTask(SLUG, BODY));
    expect(error).toMatchObject({ kind: "ambiguous", status: undefined });
    expect(sim.tasks()).toHaveLength(1);
  });

  it("ambiguous: a create whose connection drops before any answer", async () => {
    sim.setFaults({ dropConnectionRate: 1 });
    expect((await providerErrorOf(client.createTask(SLUG, BODY))).kind).toBe("ambiguous");
  });

  it("malformed_response: invalid JSON and a missing task_id on create", async () => {
    sim.setFaults({ invalidJsonRate: 1 });
    expect((await providerErrorOf(client.createTask(SLUG, BODY))).kind).toBe("malformed_response");
    sim.setFaults({ invalidJsonRate: 0, missingTaskIdRate: 1 });
    const error = await providerErrorOf(client.createTask(SLUG, BODY));
    expect(error).toMatchObject({ kind: "malformed_response", status: 200 });
    expect(error.message).toContain("task_id");
  });

  it("malformed_response: a file URL answering HTML", async () => {
    const { url } = await finishedVideoUrl();
    sim.setFaults({ htmlFileRate: 1 });
    const dest = join(dir, "v.mp4");
    const error = await providerErrorOf(client.downloadFile(url, dest));
    expect(error).toMatchObject({ kind: "malformed_response", operation: "download" });
    expect(existsSync(dest)).toBe(false);
  });

  it("url_expired: a result URL past its TTL, or with a bad signature", async () => {
    const { url } = await finishedVideoUrl();
    const dest = join(dir, "v.mp4");
    const tampered = new URL(url);
    tampered.searchParams.set("sig", "0000");
    expect(await providerErrorOf(client.downloadFile(tampered.href, dest))).toMatchObject({
      kind: "url_expired",
      status: 403,
    });
    nowMs += 601_000;
    expect(await providerErrorOf(client.downloadFile(url, dest))).toMatchObject({
      kind: "url_expired",
      status: 403,
    });
    expect(existsSync(dest)).toBe(false);
  });
});
