import { errors } from "undici";
import { describe, expect, it } from "vitest";
import { classifyHttpStatus, classifyNetworkError, detectLimitScope } from "../src/index.ts";

describe("classifyHttpStatus", () => {
  it.each([
    [400, "invalid_request"],
    [422, "invalid_request"],
    [413, "invalid_request"],
    [401, "unauthorized"],
    [403, "unauthorized"],
    [402, "payment_required"],
    [404, "not_found"],
    [408, "transient"],
    [429, "rate_limited"],
    [500, "transient"],
    [502, "transient"],
    [503, "transient"],
    [504, "transient"],
    [302, "malformed_response"],
  ] as const)("API status %i is %s", (status, kind) => {
    expect(classifyHttpStatus("create", status, undefined).kind).toBe(kind);
    expect(classifyHttpStatus("task-result", status, undefined).kind).toBe(kind);
  });

  it.each([
    [401, "url_expired"],
    [403, "url_expired"],
    [404, "url_expired"],
    [410, "url_expired"],
    [400, "invalid_request"],
    [402, "invalid_request"],
    [429, "rate_limited"],
    [500, "transient"],
  ] as const)("download status %i is %s", (status, kind) => {
    expect(classifyHttpStatus("download", status, undefined).kind).toBe(kind);
  });

  it("scopes a 429 by the provider's message", () => {
    expect(classifyHttpStatus("create", 429, "too many concurrent tasks").limitScope).toBe(
      "concurrency",
    );
    expect(classifyHttpStatus("create", 429, "rate limit exceeded").limitScope).toBe("rate");
    expect(classifyHttpStatus("create", 429, undefined).limitScope).toBe("rate");
    expect(classifyHttpStatus("create", 500, "concurrency").limitScope).toBeUndefined();
  });

  it("recognises concurrency wording", () => {
    expect(detectLimitScope("Too Many Concurrent Tasks")).toBe("concurrency");
    expect(detectLimitScope("并发任务数超过限制")).toBe("concurrency");
    expect(detectLimitScope("slow down")).toBe("rate");
  });
});

function systemError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code });
}

describe("classifyNetworkError", () => {
  it("makes a create that was sent without answer ambiguous", () => {
    expect(classifyNetworkError("create", new errors.SocketError("other side closed"), true)).toBe(
      "ambiguous",
    );
    expect(classifyNetworkError("create", new errors.HeadersTimeoutError(), true)).toBe(
      "ambiguous",
    );
    expect(classifyNetworkError("create", new errors.BodyTimeoutError(), true)).toBe("ambiguous");
    expect(classifyNetworkError("create", systemError("ECONNRESET"), true)).toBe("ambiguous");
  });

  it("makes a create that never left transient", () => {
    expect(classifyNetworkError("create", systemError("ECONNRESET"), false)).toBe("transient");
    expect(classifyNetworkError("create", new errors.SocketError("other side closed"), false)).toBe(
      "transient",
    );
  });

  it("treats connect-phase codes as transient even if marked sent", () => {
    expect(classifyNetworkError("create", systemError("ECONNREFUSED"), true)).toBe("transient");
    expect(classifyNetworkError("create", systemError("ENOTFOUND"), true)).toBe("transient");
    expect(classifyNetworkError("create", systemError("EAI_AGAIN"), true)).toBe("transient");
    expect(classifyNetworkError("create", new errors.ConnectTimeoutError(), true)).toBe(
      "transient",
    );
    const aggregate = Object.assign(new AggregateError([systemError("ECONNREFUSED")]), {});
    expect(classifyNetworkError("create", aggregate, true)).toBe("transient");
  });

  it("makes every network failure of a GET transient", () => {
    for (const operation of ["task-result", "download"] as const) {
      expect(classifyNetworkError(operation, new errors.SocketError("closed"), true)).toBe(
        "transient",
      );
      expect(classifyNetworkError(operation, new errors.HeadersTimeoutError(), true)).toBe(
        "transient",
      );
      expect(classifyNetworkError(operation, new Error("weird"), true)).toBe("transient");
    }
  });
});
