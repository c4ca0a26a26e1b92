import type { CreateRequest } from "@veoq/contract";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createProviderClient,
  isProviderError,
  type ProviderClient,
  type ProviderClientOptions,
  type ProviderRequestEvent,
} from "../src/index.ts";
import {
  findClosedPort,
  providerErrorOf,
  rejectionOf,
  sendJson,
  startTestServer,
  type TestServer,
} from "./test-server.ts";

const KEY = "sk-live-THIS-IS-SECRET-42";
const SLUG = "veo-3.1-lite-firstlastframe";
const BODY = {
  prompt: "a cat",
  image: "https://example.com/a.png",
  last_frame_image: "https://example.com/b.png",
} as CreateRequest;
const TASK_RESULT = {
  task: {
    task_id: "t-1",
    status: "TASK_STATUS_SUCCEED",
    reason: "",
    eta: 0,
    progress_percent: 100,
  },
  videos: [
    { video_url: "https://cdn.example.com/v.mp4", video_url_ttl: "3600", video_type: "mp4" },
  ],
};

let server: TestServer;
let client: ProviderClient;
let events: ProviderRequestEvent[];

function makeClient(overrides: Partial<ProviderClientOptions> = {}): ProviderClient {
  return createProviderClient({
    baseUrl: server.url,
    apiKey: KEY,
    onRequest: (event) => events.push(event),
    ...overrides,
  });
}

beforeEach(async () => {
  events = [];
  server = await startTestServer();
  client = makeClient();
});

afterEach(async () => {
  await client.close();
  await server.close();
});

describe("createTask", () => {
  it("posts the JSON body with the key and returns the task id", async () => {
    server.handle((_req, res) => sendJson(res, 200, { task_id: "task-abc" }));
    await expect(client.createTask(SLUG, BODY)).resolves.toEqual({ taskId: "task-abc" });
    const [recorded] = server.requests;
    expect(recorded?.method).toBe("POST");
    expect(recorded?.url).toBe(`/v3/async/${SLUG}`);
    expect(recorded?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(recorded?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(recorded?.body ?? "")).toEqual(BODY);
    expect(events).toEqual([
      expect.objectContaining({
        operation: "create",
        endpoint: SLUG,
        status: 200,
        errorKind: undefined,
      }),
    ]);
  });

  it("keeps a path prefix of baseUrl", async () => {
    await client.close();
    client = makeClient({ baseUrl: `${server.url}/proxy/` });
    server.handle((_req, res) => sendJson(res, 200, { task_id: "t" }));
    await client.createTask(SLUG, BODY);
    expect(server.requests[0]?.url).toBe(`/proxy/v3/async/${SLUG}`);
  });

  it.each([
    [400, "invalid_request"],
    [422, "invalid_request"],
    [401, "unauthorized"],
    [403, "unauthorized"],
    [402, "payment_required"],
    [404, "not_found"],
    [500, "transient"],
    [502, "transient"],
    [503, "transient"],
  ] as const)("classifies HTTP %i as %s, carrying the provider's message", async (status, kind) => {
    server.handle((_req, res) => sendJson(res, status, { message: `problem ${status}` }));
    const error = await providerErrorOf(client.createTask(SLUG, BODY));
    expect(error.kind).toBe(kind);
    expect(error.status).toBe(status);
    expect(error.operation).toBe("create");
    expect(error.providerMessage).toBe(`problem ${status}`);
    expect(error.message).toBe(`create ${SLUG}: HTTP ${status} ${kind}: problem ${status}`);
    expect(events[0]).toMatchObject({ status, errorKind: kind });
  });

  it("reads Retry-After in seconds on a 429 and scopes it as a rate limit", async () => {
    server.handle((_req, res) =>
      sendJson(res, 429, { message: "rate limit exceeded" }, { "retry-after": "2" }),
    );
    const error = await providerErrorOf(client.createTask(SLUG, BODY));
    expect(error).toMatchObject({ kind: "rate_limited", retryAfterMs: 2000, limitScope: "rate" });
  });

  it("reads Retry-After as an HTTP date against the injected clock", async () => {
    await client.close();
    const now = Date.parse("2025-03-01T12:00:00Z");
    client = makeClient({ now: () => now });
    server.handle((_req, res) =>
      sendJson(
        res,
        429,
        { message: "slow down" },
        { "retry-after": "Sat, 01 Mar 2025 12:00:07 GMT" },
      ),
    );
    const error = await providerErrorOf(client.createTask(SLUG, BODY));
    expect(error.retryAfterMs).toBe(7000);
  });

  it("leaves retryAfterMs undefined when Retry-After is absent or garbage", async () => {
    server.handle((_req, res) => sendJson(res, 429, { message: "slow down" }));
    expect((await providerErrorOf(client.createTask(SLUG, BODY))).retryAfterMs).toBeUndefined();
    server.handle((_req, res) =>
      sendJson(res, 429, { message: "slow down" }, { "retry-after": "later, maybe" }),
    );
    const error = await providerErrorOf(client.createTask(SLUG, BODY));
    expect(error.kind).toBe("rate_limited");
    expect(error.retryAfterMs).toBeUndefined();
  });

  it("scopes a 429 about concurrent tasks as concurrency", async () => {
    server.handle((_req, res) =>
      sendJson(res, 429, { message: "too many concurrent tasks" }, { "retry-after": "1" }),
    );
    const error = await providerErrorOf(client.createTask(SLUG, BODY));
    expect(error).toMatchObject({
      kind: "rate_limited",
      limitScope: "concurrency",
      retryAfterMs: 1000,
    });
  });

  it("reports a 2xx that is not JSON as malformed_response", async () => {
    server.handle((_req, res) => sendJson(res, 200, "<html>oops</html>"));
    const error = await providerErrorOf(client.createTask(SLUG, BODY));
    expect(error).toMatchObject({ kind: "malformed_response", status: 200 });
  });

  it("reports a 2xx without task_id as malformed_response", async () => {
    server.handle((_req, res) => sendJson(res, 200, { id: "nope" }));
    const error = await providerErrorOf(client.createTask(SLUG, BODY));
    expect(error.kind).toBe("malformed_response");
    expect(error.message).toContain("task_id");
  });

  it("is ambiguous when the socket closes after the request was sent", async () => {
    server.handle((req) => {
      req.socket.destroy();
    });
    const error = await providerErrorOf(client.createTask(SLUG, BODY));
    expect(error.kind).toBe("ambiguous");
    expect(error.status).toBeUndefined();
    expect(server.requests).toHaveLength(1);
    expect(events[0]).toMatchObject({ status: undefined, errorKind: "ambiguous" });
  });

  it("is ambiguous when the headers never come", async () => {
    await client.close();
    client = makeClient({ headersTimeoutMs: 100 });
    server.handle(() => new Promise(() => {}));
    const error = await providerErrorOf(client.createTask(SLUG, BODY));
    expect(error.kind).toBe("ambiguous");
    expect(error.message).toContain("UND_ERR_HEADERS_TIMEOUT");
  });

  it("is ambiguous when a 2xx body stalls or breaks", async () => {
    await client.close();
    client = makeClient({ bodyTimeoutMs: 100 });
    server.handle((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "100" });
      res.write('{"task_id":');
    });
    expect((await providerErrorOf(client.createTask(SLUG, BODY))).kind).toBe("ambiguous");
    server.handle((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "100" });
      res.write('{"task_id":', () => res.socket?.destroy());
    });
    const error = await providerErrorOf(client.createTask(SLUG, BODY));
    expect(error).toMatchObject({ kind: "ambiguous", status: 200 });
  });

  it("is transient when the connection is refused (nothing was sent)", async () => {
    await client.close();
    client = makeClient({ baseUrl: `http://127.0.0.1:${await findClosedPort()}` });
    const error = await providerErrorOf(client.createTask(SLUG, BODY));
    expect(error.kind).toBe("transient");
    expect(error.message).toContain("ECONNREFUSED");
  });

  it("is transient when the host does not resolve", async () => {
    await client.close();
    client = makeClient({ baseUrl: "http://veoq-no-such-host.invalid" });
    const error = await providerErrorOf(client.createTask(SLUG, BODY));
    expect(error.kind).toBe("transient");
  });

  it("rethrows the caller's abort reason when nothing was sent", async () => {
    const controller = new AbortController();
    const reason = new Error("shutting down");
    controller.abort(reason);
    const error = await rejectionOf(client.createTask(SLUG, BODY, { signal: controller.signal }));
    expect(error).toBe(reason);
    expect(server.requests).toHaveLength(0);
  });

  it("is ambiguous when the caller aborts after the request was sent", async () => {
    const controller = new AbortController();
    server.handle(() => {
      controller.abort(new Error("shutting down"));
      return new Promise(() => {});
    });
    const error = await providerErrorOf(
      client.createTask(SLUG, BODY, { signal: controller.signal }),
    );
    expect(error.kind).toBe("ambiguous");
  });
});

describe("getTaskResult", () => {
  it("gets the task result and parses it", async () => {
    server.handle((_req, res) => sendJson(res, 200, TASK_RESULT));
    const result = await client.getTaskResult("t/1 &x");
    expect(server.requests[0]?.method).toBe("GET");
    expect(server.requests[0]?.url).toBe("/v3/async/task-result?task_id=t%2F1%20%26x");
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(result).toMatchObject({
      taskId: "t-1",
      status: "SUCCEED",
      videos: [{ url: "https://cdn.example.com/v.mp4", ttlSeconds: 3600, type: "mp4" }],
    });
    expect(events[0]).toMatchObject({ operation: "task-result", endpoint: "task-result" });
  });

  it("reports an unknown task as not_found", async () => {
    server.handle((_req, res) => sendJson(res, 404, { message: "task not found" }));
    const error = await providerErrorOf(client.getTaskResult("missing"));
    expect(error).toMatchObject({ kind: "not_found", operation: "task-result", status: 404 });
  });

  it("reports a result that fails the contract as malformed_response", async () => {
    server.handle((_req, res) => sendJson(res, 200, { videos: [] }));
    const error = await providerErrorOf(client.getTaskResult("t-1"));
    expect(error.kind).toBe("malformed_response");
    server.handle((_req, res) => sendJson(res, 200, "{not json"));
    expect((await providerErrorOf(client.getTaskResult("t-1"))).kind).toBe("malformed_response");
  });

  it("is transient (never ambiguous) when the socket closes or the headers time out", async () => {
    server.handle((req) => {
      req.socket.destroy();
    });
    expect((await providerErrorOf(client.getTaskResult("t-1"))).kind).toBe("transient");
    await client.close();
    client = makeClient({ headersTimeoutMs: 100 });
    server.handle(() => new Promise(() => {}));
    expect((await providerErrorOf(client.getTaskResult("t-1"))).kind).toBe("transient");
  });

  it("refuses an empty task id without calling the provider", async () => {
    const error = await providerErrorOf(client.getTaskResult(""));
    expect(error.kind).toBe("invalid_request");
    expect(server.requests).toHaveLength(0);
  });
});

describe("connection pool", () => {
  it("reuses one keep-alive socket for sequential requests", async () => {
    await client.close();
    client = makeClient({ connections: 1 });
    server.handle((_req, res) => sendJson(res, 200, TASK_RESULT));
    for (let i = 0; i < 4; i++) await client.getTaskResult(`t-${i}`);
    expect(server.requests).toHaveLength(4);
    expect(new Set(server.requests.map((r) => r.remotePort)).size).toBe(1);
  });

  it("with the default pool, opens fewer sockets than requests", async () => {
    server.handle((_req, res) => sendJson(res, 200, TASK_RESULT));
    for (let i = 0; i < 6; i++) await client.getTaskResult(`t-${i}`);
    expect(new Set(server.requests.map((r) => r.remotePort)).size).toBeLessThan(6);
  });

  it("consumes error bodies so the socket is reused after a failure", async () => {
    await client.close();
    client = makeClient({ connections: 1 });
    server.handle((_req, res) => sendJson(res, 500, { message: "x".repeat(10_000) }));
    await providerErrorOf(client.getTaskResult("t-1"));
    await providerErrorOf(client.createTask(SLUG, BODY));
    server.handle((_req, res) => sendJson(res, 200, TASK_RESULT));
    await client.getTaskResult("t-1");
    expect(new Set(server.requests.map((r) => r.remotePort)).size).toBe(1);
  });

  it("opens a new socket when the previous one was closed by the server", async () => {
    server.handle((_req, res) => {
      res.setHeader("connection", "close");
      sendJson(res, 200, TASK_RESULT);
    });
    await client.getTaskResult("t-1");
    await client.getTaskResult("t-2");
    expect(new Set(server.requests.map((r) => r.remotePort)).size).toBe(2);
  });
});

describe("secrets", () => {
  it("never puts the key in an error, even when the provider echoes it", async () => {
    server.handle((_req, res) =>
      sendJson(res, 401, { message: `invalid api key: Bearer ${KEY}\nplease check` }),
    );
    const error = await providerErrorOf(client.createTask(SLUG, BODY));
    expect(error.kind).toBe("unauthorized");
    expect(error.providerMessage).toBe("invalid api key: Bearer [redacted] please check");
    expect(error.message).not.toContain(KEY);
    expect(JSON.stringify(error)).not.toContain(KEY);
    expect(String(error.stack)).not.toContain(KEY);
    expect(error.message).not.toContain("\n");
  });

  it("redacts an echoed Authorization header in every string of a task result", async () => {
    server.handle((req, res) =>
      sendJson(res, 200, {
        task: {
          task_id: `t-${KEY}`,
          status: "TASK_STATUS_FAILED",
          reason: `upstream refused\nAuthorization: ${req.headers.authorization} (proxy token: Bearer px.9f~Q+/a==)`,
        },
        videos: [{ video_url: `https://cdn.example.com/v.mp4?k=${KEY}`, video_type: KEY }],
      }),
    );
    const result = await client.getTaskResult("t-1");
    expect(result.reason).toBe(
      "upstream refused Authorization: Bearer [redacted] (proxy token: Bearer [redacted])",
    );
    expect(JSON.stringify(result)).not.toContain(KEY);
    expect(JSON.stringify(result)).not.toContain("px.9f");
    expect(result.videos[0]?.url).toBe("https://cdn.example.com/v.mp4?k=[redacted]");
  });

  it("bounds a task's failure reason to one message line", async () => {
    server.handle((_req, res) =>
      sendJson(res, 200, {
        task: { task_id: "t-1", status: "TASK_STATUS_FAILED", reason: `a\n${"r".repeat(5000)}` },
      }),
    );
    const result = await client.getTaskResult("t-1");
    expect(result.reason?.length).toBeLessThanOrEqual(300);
    expect(result.reason).not.toContain("\n");
  });

  it("redacts a foreign Bearer token echoed in an error body", async () => {
    server.handle((_req, res) =>
      sendJson(res, 400, { message: "rejected Authorization: Bearer eyJhbGciOi.other-hop_token" }),
    );
    const error = await providerErrorOf(client.createTask(SLUG, BODY));
    expect(error.providerMessage).toBe("rejected Authorization: Bearer [redacted]");
    expect(error.message).not.toContain("eyJhbGciOi");
  });

  it("redacts the key before cutting a long detail, so no part of it is left", async () => {
    // 280 characters then the key: cut first at ~300, the key's first 19 characters would stay.
    server.handle((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(`${"x".repeat(280)}${KEY}`);
    });
    const error = await providerErrorOf(client.createTask(SLUG, BODY));
    expect(error.kind).toBe("malformed_response");
    expect(error.message).not.toContain(KEY.slice(0, 15));
  });

  it("bounds a file URL's Content-Type in the error to one message line", async () => {
    server.handle((_req, res) => {
      res.writeHead(200, { "content-type": `text/html; x=${"y".repeat(5000)}` });
      res.end("<html></html>");
    });
    const error = await providerErrorOf(client.downloadFile(`${server.url}/v.mp4`, "/dev/null"));
    expect(error.kind).toBe("malformed_response");
    expect(error.message.length).toBeLessThan(400);
  });

  it("never puts the key in a network error", async () => {
    server.handle((req) => {
      req.socket.destroy();
    });
    const error = await providerErrorOf(client.createTask(SLUG, BODY));
    expect(`${error.message} ${JSON.stringify(error)}`).not.toContain(KEY);
  });

  it("truncates a long provider message to one line of ~300 characters", async () => {
    server.handle((_req, res) => sendJson(res, 400, { message: `bad\n${"y".repeat(2000)}` }));
    const error = await providerErrorOf(client.createTask(SLUG, BODY));
    expect(error.providerMessage?.length).toBeLessThanOrEqual(300);
    expect(error.message).not.toContain("\n");
    expect(error.message.length).toBeLessThan(400);
  });
});

describe("client setup and hooks", () => {
  it("refuses a non-http baseUrl", () => {
    expect(() => createProviderClient({ baseUrl: "ftp://api.example.com", apiKey: KEY })).toThrow(
      TypeError,
    );
  });

  it("ignores a metrics hook that throws", async () => {
    await client.close();
    client = makeClient({
      onRequest: () => {
        throw new Error("metrics down");
      },
    });
    server.handle((_req, res) => sendJson(res, 200, { task_id: "t" }));
    await expect(client.createTask(SLUG, BODY)).resolves.toEqual({ taskId: "t" });
    server.handle((_req, res) => sendJson(res, 400, { message: "bad" }));
    expect((await providerErrorOf(client.createTask(SLUG, BODY))).kind).toBe("invalid_request");
  });

  it("makes errors real Errors named ProviderError", async () => {
    server.handle((_req, res) => sendJson(res, 503, "Service Unavailable"));
    const error = await providerErrorOf(client.getTaskResult("t"));
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("ProviderError");
    expect(isProviderError(new Error("plain"))).toBe(false);
  });
});
