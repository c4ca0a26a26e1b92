import { parseConfig } from "@veoq/config";
import { describe, expect, it } from "vitest";
import { RateLimiter, scopeAllows, TokenAuthenticator } from "../src/index.ts";

const TOKENS = [
  { name: "ci", token: "ci-token-0123456789abcdef", scope: "write" as const },
  { name: "dash", token: "dash:token=0123456789", scope: "read" as const },
];

describe("bearer tokens", () => {
  const auth = new TokenAuthenticator(TOKENS);

  it("finds the caller by token, never for a missing, wrong or prefixed one", () => {
    expect(auth.authenticate("Bearer ci-token-0123456789abcdef")).toEqual({
      name: "ci",
      scope: "write",
    });
    expect(auth.authenticate("bearer dash:token=0123456789")).toEqual({
      name: "dash",
      scope: "read",
    });
    expect(auth.authenticate(undefined)).toBeUndefined();
    expect(auth.authenticate("")).toBeUndefined();
    expect(auth.authenticate("Bearer ci-token-0123456789abcde")).toBeUndefined();
    expect(auth.authenticate("Bearer ci-token-0123456789abcdefX")).toBeUndefined();
    expect(auth.authenticate("Basic ci-token-0123456789abcdef")).toBeUndefined();
    expect(auth.authenticate("ci-token-0123456789abcdef")).toBeUndefined();
  });

  it("lets write do what read does, not the reverse", () => {
    expect(scopeAllows({ name: "a", scope: "write" }, "read")).toBe(true);
    expect(scopeAllows({ name: "a", scope: "write" }, "write")).toBe(true);
    expect(scopeAllows({ name: "a", scope: "read" }, "read")).toBe(true);
    expect(scopeAllows({ name: "a", scope: "read" }, "write")).toBe(false);
  });

  it("without tokens every request is the local writer (loopback only: start-api checks)", () => {
    expect(new TokenAuthenticator([]).authenticate(undefined)).toEqual({
      name: "local",
      scope: "write",
    });
  });
});

describe("VEOQ_API_TOKENS", () => {
  const parse = (value: string) => parseConfig({ VEOQ_API_TOKENS: value }).apiTokens;

  it("parses name=token:scope, the token may hold = and :", () => {
    expect(parse("ci=ci-token-0123456789abcdef:write, dash=dash:token=0123456789:read")).toEqual(
      TOKENS,
    );
    expect(parseConfig({}).apiTokens).toEqual([]);
  });

  it("refuses bad entries without echoing the token", () => {
    for (const bad of [
      "ci-token-0123456789abcdef",
      "ci=short:read",
      "ci=ci-token-0123456789abcdef:admin",
      "c i=ci-token-0123456789abcdef:read",
      "ci=ci-token-0123456789abcdef:read,ci=other-token-0123456789:read",
    ]) {
      expect(() => parse(bad)).toThrow(/VEOQ_API_TOKENS/);
      try {
        parse(bad);
      } catch (error) {
        expect((error as Error).message).not.toContain("0123456789");
      }
    }
  });
});

describe("RateLimiter", () => {
  it("allows a minute's worth at once, then one every 60/limit s, with the wait to say", () => {
    let now = 0;
    const limiter = new RateLimiter(6, () => now);
    for (let i = 0; i < 6; i++) expect(limiter.take("a")).toBeUndefined();
    expect(limiter.take("a")).toBe(10);
    expect(limiter.take("b")).toBeUndefined();
    now += 4_000;
    expect(limiter.take("a")).toBe(6);
    now += 6_000;
    expect(limiter.take("a")).toBeUndefined();
    expect(limiter.take("a")).toBe(10);
    now += 10 * 60_000;
    for (let i = 0; i < 6; i++) expect(limiter.take("a")).toBeUndefined();
  });

  it("limits nothing at 0", () => {
    const limiter = new RateLimiter(0);
    for (let i = 0; i < 1000; i++) expect(limiter.take("a")).toBeUndefined();
  });
});
