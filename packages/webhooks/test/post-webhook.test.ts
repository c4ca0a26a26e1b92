import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  isNonPublicAddress,
  nextDelayMs,
  parseRetryAfter,
  postWebhook,
  resolveEndpointAddress,
} from "../src/index.ts";

describe("SSRF guard", () => {
  it("refuses private, loopback, link-local and other non-public addresses", () => {
    for (const address of [
      "127.0.0.1",
      "10.1.2.3",
      "172.16.0.1",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "::1",
      "::",
      "fe80::1",
      "fd00::1",
      "::ffff:127.0.0.1",
      "::ffff:10.0.0.1",
      "224.0.0.1",
    ]) {
      expect(isNonPublicAddress(address), address).toBe(true);
    }
    for (const address of ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]) {
      expect(isNonPublicAddress(address), address).toBe(false);
    }
  });

  it("checks every address a name resolves to, unless private addresses are allowed", async () => {
    const resolve = async () => [
      { address: "93.184.216.34", family: 4 },
      { address: "10.0.0.5", family: 4 },
    ];
    await expect(resolveEndpointAddress("hooks.example", false, resolve)).rejects.toThrow(
      /10\.0\.0\.5, a private, loopback or link-local address/,
    );
    await expect(resolveEndpointAddress("hooks.example", true, resolve)).resolves.toEqual({
      address: "93.184.216.34",
      family: 4,
    });
    await expect(resolveEndpointAddress("[::1]", false)).rejects.toThrow(/::1/);
  });
});

describe("postWebhook", () => {
  let server: Server;
  let base: string;
  const seen: { path: string; host: string | undefined }[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ path: req.url ?? "", host: req.headers.host });
      if (req.url === "/redirect") {
        res.writeHead(307, { location: "/ok" }).end();
      } else if (req.url === "/busy") {
        res.writeHead(429, { "retry-after": "7" }).end();
      } else if (req.url === "/slow") {
        setTimeout(() => res.writeHead(200).end(), 2_000);
      } else {
        res.writeHead(200).end("ok");
      }
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });
  const post = (path: string, options: { allowPrivate?: boolean; timeoutMs?: number } = {}) =>
    postWebhook({
      url: `${base}${path}`,
      headers: { "webhook-id": "msg_x" },
      body: "{}",
      timeoutMs: options.timeoutMs ?? 5_000,
      allowPrivate: options.allowPrivate ?? true,
    });

  it("refuses a loopback endpoint without VEOQ_WEBHOOK_ALLOW_PRIVATE, and sends nothing", async () => {
    const before = seen.length;
    const outcome = await post("/ok", { allowPrivate: false });
    expect(outcome).toMatchObject({ status: undefined, refused: true });
    expect(seen.length).toBe(before);
  });

  it("does not follow redirects, reads Retry-After of a 429, and gives up at the timeout", async () => {
    const before = seen.length;
    expect((await post("/redirect")).status).toBe(307);
    expect(seen.slice(before).map((s) => s.path)).toEqual(["/redirect"]);
    expect(seen.at(-1)?.host).toBe(new URL(base).host);
    expect(await post("/busy")).toMatchObject({ status: 429, retryAfterMs: 7_000 });
    const slow = await post("/slow", { timeoutMs: 300 });
    expect(slow.status).toBeUndefined();
    expect(slow.error).toMatch(/no answer within 300 ms|Timeout/i);
  });

  it("computes delays: Retry-After wins, else the schedule (its last delay past its end)", () => {
    expect(parseRetryAfter("120", 0)).toBe(120_000);
    expect(parseRetryAfter(new Date(60_000).toUTCString(), 0)).toBe(60_000);
    expect(parseRetryAfter("soon", 0)).toBeUndefined();
    const schedule = [5_000, 300_000, 1_800_000];
    expect(nextDelayMs(schedule, 1, undefined)).toBe(5_000);
    expect(nextDelayMs(schedule, 3, undefined)).toBe(1_800_000);
    expect(nextDelayMs(schedule, 9, undefined)).toBe(1_800_000);
    expect(nextDelayMs(schedule, 1, 42_000)).toBe(42_000);
  });
});
