import { readdir } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { batchResults, overviewOf } from "../src/index.ts";
import { collect, createHarness, type Harness, img2videoLine } from "./pipeline-harness.ts";

const KEY = "sk-live-HOSTILE-7f3a9c";

/**
 * A hostile proxy in front of the simulator: it echoes the caller's Authorization header (and the
 * bare key) in a FAILED task's reason, in the error body of a refused create, in a 503 that comes
 * once before a create goes through, and in a 503 on every other task-result read.
 */
async function startHostileProxy(target: () => string) {
  let taskReads = 0;
  const busyOnce = new Set<string>();
  const echo = (req: IncomingMessage) => `Authorization: ${req.headers.authorization} (key ${KEY})`;
  const answer = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json" });
    res.end(text);
  };
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const prompt = req.method === "POST" ? String(JSON.parse(body).prompt) : "";
    if (prompt.includes("[hostile:reject]")) {
      return answer(res, 400, { code: 400, message: `bad request; you sent ${echo(req)}` });
    }
    if (prompt.includes("[hostile:busy-once]") && !busyOnce.has(prompt)) {
      busyOnce.add(prompt);
      return answer(res, 503, { message: `overloaded, retry; request had ${echo(req)}` });
    }
    if (req.method === "GET" && (taskReads++ & 1) === 1) {
      return answer(res, 503, { message: `busy; request had ${echo(req)}` });
    }
    const upstream = await fetch(`${target()}${req.url}`, {
      method: req.method,
      headers: {
        authorization: req.headers.authorization ?? "",
        "content-type": "application/json",
      },
      body: req.method === "POST" ? body : undefined,
    });
    const json = (await upstream.json()) as { task?: { status?: string; reason?: string } };
    if (json.task?.status === "TASK_STATUS_FAILED") {
      json.task.reason = `content policy violation; request had ${echo(req)}`;
    }
    answer(res, upstream.status, json);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Every key under the prefix with its whole value, as one text. */
async function dumpRedis(h: Harness): Promise<string> {
  const out: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await h.redis.scan(cursor, "MATCH", `${h.config.prefix}*`, "COUNT", 500);
    cursor = next;
    for (const key of keys) {
      const type = await h.redis.type(key);
      const value =
        type === "string"
          ? await h.redis.get(key)
          : type === "hash"
            ? await h.redis.hgetall(key)
            : type === "list"
              ? await h.redis.lrange(key, 0, -1)
              : type === "set"
                ? await h.redis.smembers(key)
                : type === "zset"
                  ? await h.redis.zrange(key, 0, -1, "WITHSCORES")
                  : type === "stream"
                    ? await h.redis.xrange(key, "-", "+")
                    : `(type ${type})`;
      out.push(`${key} ${JSON.stringify(value)}`);
    }
  } while (cursor !== "0");
  return out.join("\n");
}

describe("a provider that echoes the Authorization header", () => {
  let h: Harness;
  let proxy: Awaited<ReturnType<typeof startHostileProxy>> | undefined;
  afterEach(async () => {
    await h?.close();
    await proxy?.close();
  });

  it("never gets the API key into Redis, results or the overview", async () => {
    let simulatorUrl = "";
    proxy = await startHostileProxy(() => simulatorUrl);
    h = await createHarness({
      env: { JIEKOU_API_KEY: KEY, JIEKOU_BASE_URL: proxy.url },
      simulator: { apiKeys: [KEY] },
    });
    simulatorUrl = h.simulator.url;
    await h.start({ apiKey: KEY });
    await h.enqueue(
      await h.writeManifest([
        img2videoLine("failed-task", { prompt: "a doomed video [sim:fail]" }),
        img2videoLine("rejected", { prompt: "a refused video [hostile:reject]" }),
        img2videoLine("busy-once", { prompt: "a delayed video [hostile:busy-once]" }),
        img2videoLine("fine"),
      ]),
    );
    await h.waitForBatch("b1", 30_000);

    const results = await collect(batchResults(h.store, "b1"));
    const byId = new Map(results.map((line) => [line.customId, line]));
    expect(byId.get("failed-task")).toMatchObject({ status: "failed", errorKind: "task_failed" });
    expect(byId.get("rejected")).toMatchObject({ status: "failed", errorKind: "invalid_request" });
    expect(byId.get("busy-once")?.status).toBe("completed");
    expect(byId.get("fine")?.status).toBe("completed");
    // The echoes did arrive, redacted: this run is not vacuous.
    for (const customId of ["failed-task", "rejected"]) {
      expect(JSON.stringify(byId.get(customId))).toContain("Authorization: Bearer [redacted]");
    }

    const batch = await h.store.getBatch("b1");
    const everything = [
      await dumpRedis(h),
      JSON.stringify(results),
      JSON.stringify(batch === undefined ? undefined : overviewOf(batch, Date.now())),
    ].join("\n");
    expect(everything).toContain("[redacted]");
    expect(everything).not.toContain(KEY);
  });
});

describe("a result file over VEOQ_MAX_DOWNLOAD_BYTES", () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it("fails the item at once with a message naming the cap, and saves nothing", async () => {
    h = await createHarness({
      env: { VEOQ_MAX_DOWNLOAD_BYTES: "1000", VEOQ_DOWNLOAD_ATTEMPTS: "5" },
      simulator: { fileSizeBytes: 4096 },
    });
    await h.start();
    await h.enqueue(await h.writeManifest([img2videoLine("big")]));
    await h.waitForBatch("b1");
    const [result] = await collect(batchResults(h.store, "b1"));
    expect(result).toMatchObject({ status: "failed", errorKind: "invalid_request" });
    expect(JSON.stringify(result)).toContain(
      "download cap of 1000 bytes (VEOQ_MAX_DOWNLOAD_BYTES)",
    );
    // Refused for good: one request for the file, not one per attempt.
    expect(h.simulator.stats().downloads.total).toBe(1);
    const itemDir = path.join(h.config.outputDir, "b1", "big");
    expect(await readdir(itemDir).catch(() => [])).toEqual([]);
  });
});
