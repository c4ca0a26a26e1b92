import { createLogger } from "@veoq/logging";
import { scanEveryMaster } from "@veoq/pipeline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createHarness, type Harness } from "../../pipeline/test/pipeline-harness.ts";
import {
  API_ROUTES,
  ApiStartError,
  checkApiBinding,
  defineRoute,
  json,
  type RunningApi,
  startApi,
} from "../src/index.ts";
import { apiLine, jsonOf, WRITE_TOKEN } from "./api-harness.ts";

/*
 * The guards around every route: the body cap (413), the per-token rate limit (429 with
 * Retry-After), Idempotency-Key while the first request still runs (409), and the refusal to
 * listen beyond loopback without tokens.
 */

let pipeline: Harness;
let api: RunningApi;
let releaseSlow: () => void = () => {};
/** Everything the API logged (at debug level). */
let logged = "";
const slowStarted: (() => void)[] = [];

/** A route that waits until released: the first request with a key is still running meanwhile. */
const slowRoute = defineRoute<undefined, undefined, { n: number }>({
  method: "post",
  path: "/v1/test/slow",
  operationId: "slow",
  summary: "test only",
  scope: "write",
  body: { kind: "json", schema: z.object({ n: z.number() }) },
  responses: { 200: { description: "done" } },
  async handle(request) {
    for (const started of slowStarted.splice(0)) started();
    await new Promise<void>((resolve) => {
      releaseSlow = resolve;
    });
    return json(200, { n: request.body.n, at: Math.random() });
  },
});

beforeAll(async () => {
  pipeline = await createHarness({
    env: {
      VEOQ_API_TOKENS: `limited=${WRITE_TOKEN}:write`,
      VEOQ_API_RATE_LIMIT: "6",
      VEOQ_API_MAX_BODY_BYTES: "4096",
      VEOQ_API_MAX_MANIFEST_BYTES: "8192",
    },
  });
  api = await startApi({
    config: pipeline.config,
    logger: createLogger({
      level: "debug",
      destination: {
        write(line: string) {
          logged += line;
        },
      },
    }),
    port: 0,
    routes: [...API_ROUTES, slowRoute],
  });
});

afterAll(async () => {
  releaseSlow();
  await api?.close();
  await pipeline?.close();
});

const send = (urlPath: string, init: RequestInit = {}) =>
  fetch(`${api.url}${urlPath}`, {
    ...init,
    headers: {
      authorization: `Bearer ${WRITE_TOKEN}`,
      ...(init.headers as Record<string, string>),
    },
  });

describe("API guards", () => {
  it("answers 413 past the body caps, JSON and NDJSON, and enqueues nothing", async () => {
    const big = {
      batch_id: "too-big",
      items: Array.from({ length: 40 }, (_, i) => apiLine(`b-${i}`)),
    };
    const jsonBody = await send("/v1/batches", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(big),
    });
    expect(jsonBody.status).toBe(413);
    expect((await jsonOf(jsonBody)).type).toBe("urn:veoq:problem:payload-too-large");
    const ndjson = await send("/v1/batches?batch_id=too-big", {
      method: "POST",
      headers: { "content-type": "application/x-ndjson" },
      body: big.items.map((line) => JSON.stringify(line)).join("\n"),
    });
    expect(ndjson.status).toBe(413);
    const text = await send("/v1/batches?batch_id=too-big", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "{}",
    });
    expect(text.status).toBe(415);
    expect(await pipeline.store.getBatch("too-big")).toBeUndefined();
  });

  it("answers 409 while the first request with an Idempotency-Key runs, then replays it", async () => {
    const started = new Promise<void>((resolve) => slowStarted.push(resolve));
    const request = () =>
      send("/v1/test/slow", {
        method: "POST",
        headers: { "content-type": "application/json", "idempotency-key": "slow-1" },
        body: JSON.stringify({ n: 1 }),
      });
    const first = request();
    await started;
    const during = await request();
    expect(during.status).toBe(409);
    expect(during.headers.get("retry-after")).toBe("1");
    expect((await jsonOf(during)).type).toBe("urn:veoq:problem:idempotency-in-progress");
    releaseSlow();
    const firstAnswer = await first;
    expect(firstAnswer.status).toBe(200);
    const firstBody = await jsonOf(firstAnswer);
    const after = await request();
    expect(after.status).toBe(200);
    expect(await jsonOf(after)).toEqual(firstBody);
  });

  it("limits each token's requests a minute: 429 with Retry-After", async () => {
    // The bucket holds 6 a minute; the tests above took some. Drain it.
    let limited: Response | undefined;
    for (let i = 0; i < 10 && limited === undefined; i++) {
      const answer = await send("/v1/batches");
      if (answer.status === 429) limited = answer;
      else await answer.arrayBuffer();
    }
    expect(limited?.status).toBe(429);
    const wait = Number(limited?.headers.get("retry-after"));
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(10);
    expect((await jsonOf(limited as Response)).type).toBe("urn:veoq:problem:rate-limited");
  });

  it("never writes a token to its log or to Redis", async () => {
    await send("/v1/batches/none");
    await fetch(`${api.url}/v1/batches`, {
      headers: { authorization: "Bearer not-a-token-at-all" },
    });
    expect(logged).toContain("api listening");
    expect(logged).toContain('"route":"/v1/batches/{id}"');
    expect(logged).not.toContain(WRITE_TOKEN);
    expect(logged).not.toContain("not-a-token-at-all");
    const values: string[] = [];
    for await (const key of scanEveryMaster(pipeline.redis, `${pipeline.config.prefix}*`)) {
      values.push(key);
      if ((await pipeline.redis.type(key)) === "string")
        values.push((await pipeline.redis.get(key)) ?? "");
    }
    expect(values.some((v) => v.includes("api-idempotency:limited:"))).toBe(true);
    expect(values.join("\n")).not.toContain(WRITE_TOKEN.slice(2));
  });

  it("refuses to listen beyond loopback without tokens", async () => {
    expect(() => checkApiBinding("0.0.0.0", [])).toThrow(ApiStartError);
    expect(() => checkApiBinding("192.168.1.5", [])).toThrow(/VEOQ_API_TOKENS/);
    expect(() => checkApiBinding("127.0.0.1", [])).not.toThrow();
    expect(() => checkApiBinding("::1", [])).not.toThrow();
    expect(() =>
      checkApiBinding("0.0.0.0", [{ name: "a", token: "x", scope: "read" }]),
    ).not.toThrow();
    await expect(
      startApi({
        config: { ...pipeline.config, apiTokens: [] },
        logger: createLogger({ level: "silent" }),
        host: "0.0.0.0",
        port: 0,
      }),
    ).rejects.toThrow(ApiStartError);
  });
});
