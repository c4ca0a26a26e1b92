import { randomUUID } from "node:crypto";
import { parseConfig } from "@veoq/config";
import { removeKeysUnder } from "@veoq/local-redis";
import { createLogger } from "@veoq/logging";
import { BatchStore, createQueues, createRedisConnection } from "@veoq/pipeline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createDashboardApp,
  credentialsForBinding,
  credentialsMatch,
  DashboardStartError,
  isLoopbackHost,
  startDashboard,
} from "../src/index.ts";
import { basicAuth, listen, REDIS_URL } from "./small-run.ts";

const prefix = `{veoq-dash-auth-${randomUUID().slice(0, 8)}}`;
const redis = createRedisConnection(REDIS_URL, "producer");
const queues = createQueues(redis, prefix);
let server: { url: string; close(): Promise<void> };

beforeAll(async () => {
  const app = createDashboardApp({
    queues,
    store: new BatchStore(redis, prefix),
    credentials: { user: "ops", password: "s3cret-pass" },
    refreshSeconds: 0,
  });
  server = await listen(app);
});

afterAll(async () => {
  await server.close();
  await queues.close();
  await removeKeysUnder(redis, prefix);
  redis.disconnect();
});

describe("basic auth", () => {
  const paths = ["/", "/api/batches", "/metrics", "/queues", "/search?q=x"];

  it("refuses every page without credentials, with a Basic challenge", async () => {
    for (const path of paths) {
      const response = await fetch(`${server.url}${path}`);
      expect(response.status, path).toBe(401);
      expect(response.headers.get("www-authenticate")).toMatch(/^Basic realm=/);
    }
  });

  it("refuses a wrong password, a wrong user and a malformed header", async () => {
    for (const authorization of [
      basicAuth("ops", "wrong"),
      basicAuth("admin", "s3cret-pass"),
      basicAuth("ops", "s3cret-pass-and-more"),
      "Bearer s3cret-pass",
      "Basic !!!",
    ]) {
      const response = await fetch(`${server.url}/api/batches`, { headers: { authorization } });
      expect(response.status, authorization).toBe(401);
    }
  });

  it("accepts the right credentials on every page", async () => {
    for (const path of paths) {
      const response = await fetch(`${server.url}${path}`, {
        headers: { authorization: basicAuth("ops", "s3cret-pass") },
      });
      expect(response.status, path).toBe(200);
    }
  });

  it("leaves /healthz open (process up, says nothing about the data)", async () => {
    const response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(200);
  });

  it("leaves /readyz open too, with a terse body (probes carry no secrets)", async () => {
    const response = await fetch(`${server.url}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("ready\n");
    const withAuth = await fetch(`${server.url}/readyz`, {
      headers: { authorization: basicAuth("ops", "s3cret-pass") },
    });
    expect(withAuth.status).toBe(200);
  });

  it("compares user and password exactly", () => {
    const expected = { user: "a", password: "b:c" };
    expect(credentialsMatch(basicAuth("a", "b:c"), expected)).toBe(true);
    expect(credentialsMatch(basicAuth("a", "b"), expected)).toBe(false);
    expect(credentialsMatch(undefined, expected)).toBe(false);
  });
});

describe("binding", () => {
  it("knows loopback hosts", () => {
    for (const host of ["127.0.0.1", "localhost", "::1", "[::1]", "127.1.2.3"]) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of ["0.0.0.0", "::", "192.168.1.10", "dashboard.example"]) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });

  it("allows loopback without credentials, and anything with them", () => {
    expect(credentialsForBinding("127.0.0.1", undefined, undefined)).toBeUndefined();
    expect(credentialsForBinding("0.0.0.0", "u", "p")).toEqual({ user: "u", password: "p" });
  });

  it("refuses a non-loopback host without credentials, naming the variables", () => {
    expect(() => credentialsForBinding("0.0.0.0", undefined, undefined)).toThrow(
      /refusing to listen on 0\.0\.0\.0 without credentials: set DASHBOARD_USER and DASHBOARD_PASSWORD/,
    );
    expect(() => credentialsForBinding("127.0.0.1", "u", undefined)).toThrow(
      /both DASHBOARD_USER and DASHBOARD_PASSWORD/,
    );
  });

  it("startDashboard refuses to start on 0.0.0.0 without credentials, and starts with them", async () => {
    const logger = createLogger({ level: "silent" });
    const bare = parseConfig({ REDIS_URL, VEOQ_PREFIX: prefix, DASHBOARD_HOST: "0.0.0.0" });
    await expect(startDashboard({ config: bare, logger, port: 0 })).rejects.toBeInstanceOf(
      DashboardStartError,
    );
    const withAuth = parseConfig({
      REDIS_URL,
      VEOQ_PREFIX: prefix,
      DASHBOARD_HOST: "0.0.0.0",
      DASHBOARD_USER: "ops",
      DASHBOARD_PASSWORD: "pw",
    });
    const running = await startDashboard({ config: withAuth, logger, port: 0 });
    try {
      expect((await fetch(`${running.url}/api/batches`)).status).toBe(401);
      const ok = await fetch(`${running.url}/api/batches`, {
        headers: { authorization: basicAuth("ops", "pw") },
      });
      expect(ok.status).toBe(200);
    } finally {
      await running.close();
    }
  });
});
