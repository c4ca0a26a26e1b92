import { describe, expect, it } from "vitest";
import { VeoqApiError, VeoqClient } from "../src/index.ts";

/** A fetch that answers from a script and records each request's method, URL and headers. */
function scriptedFetch(answers: (() => Response | Promise<Response>)[]) {
  const requests: { method: string; url: string; headers: Record<string, string>; body: string }[] =
    [];
  const fetchFn: typeof fetch = async (input, init) => {
    requests.push({
      method: init?.method ?? "GET",
      url: String(input),
      headers: { ...(init?.headers as Record<string, string>) },
      body: typeof init?.body === "string" ? init.body : "",
    });
    const next = answers.shift();
    if (next === undefined) throw new Error("no more answers");
    return next();
  };
  return { fetchFn, requests };
}

const problem = (status: number, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ type: "urn:veoq:problem:x", title: "t", status, detail: "d" }), {
    status,
    headers: { "content-type": "application/problem+json", ...headers },
  });
const created = () =>
  new Response(JSON.stringify({ batch_id: "b", enqueue: { added: 1 } }), {
    status: 201,
    headers: { "content-type": "application/json" },
  });

describe("VeoqClient", () => {
  it("retries a POST after a network error, a 5xx, a 429 and a 409 in progress, with the same Idempotency-Key", async () => {
    const { fetchFn, requests } = scriptedFetch([
      () => {
        throw new TypeError("fetch failed");
      },
      () => problem(503),
      () => problem(429, { "retry-after": "0" }),
      () => problem(409, { "retry-after": "0" }),
      created,
    ]);
    const client = new VeoqClient({
      baseUrl: "http://api/",
      token: "t0k",
      fetch: fetchFn,
      attempts: 5,
      retryDelayMs: 1,
    });
    const batch = await client.createBatch([{ custom_id: "a" }], { batch_id: "b" });
    expect(batch.batch_id).toBe("b");
    expect(requests).toHaveLength(5);
    const keys = new Set(requests.map((r) => r.headers["idempotency-key"]));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(requests[0]?.url).toBe("http://api/v1/batches");
    expect(requests[0]?.headers.authorization).toBe("Bearer t0k");
    expect(JSON.parse(requests[0]?.body ?? "")).toEqual({
      batch_id: "b",
      items: [{ custom_id: "a" }],
    });
  });

  it("sends the caller's key, a new one per call otherwise", async () => {
    const { fetchFn, requests } = scriptedFetch([created, created, created]);
    const client = new VeoqClient({ baseUrl: "http://api", fetch: fetchFn });
    await client.createBatch([{}], { idempotencyKey: "mine" });
    await client.createBatch([{}]);
    await client.createBatch([{}]);
    expect(requests[0]?.headers["idempotency-key"]).toBe("mine");
    expect(requests[1]?.headers["idempotency-key"]).not.toBe(
      requests[2]?.headers["idempotency-key"],
    );
    expect(requests[1]?.headers.authorization).toBeUndefined();
  });

  it("throws the problem of a 4xx at once, and gives up after its attempts", async () => {
    const refused = scriptedFetch([() => problem(422)]);
    const client = new VeoqClient({
      baseUrl: "http://api",
      fetch: refused.fetchFn,
      retryDelayMs: 1,
    });
    const error = await client.createBatch([{}]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VeoqApiError);
    expect((error as VeoqApiError).status).toBe(422);
    expect(refused.requests).toHaveLength(1);

    const down = scriptedFetch([() => problem(500), () => problem(500)]);
    const twice = new VeoqClient({
      baseUrl: "http://api",
      fetch: down.fetchFn,
      attempts: 2,
      retryDelayMs: 1,
    });
    expect(((await twice.pause("b").catch((e: unknown) => e)) as VeoqApiError).status).toBe(500);
    expect(down.requests).toHaveLength(2);
  });

  it("parses a JSONL results stream split anywhere", async () => {
    const text =
      '{"batch_id":"b","custom_id":"a","status":"queued"}\n{"batch_id":"b","custom_id":"b","status":"processing"}\n';
    const body = new ReadableStream({
      start(controller) {
        for (let i = 0; i < text.length; i += 7)
          controller.enqueue(new TextEncoder().encode(text.slice(i, i + 7)));
        controller.close();
      },
    });
    const { fetchFn } = scriptedFetch([() => new Response(body, { status: 200 })]);
    const client = new VeoqClient({ baseUrl: "http://api", fetch: fetchFn });
    const lines = [];
    for await (const line of client.results("b")) lines.push(line.custom_id);
    expect(lines).toEqual(["a", "b"]);
  });
});
