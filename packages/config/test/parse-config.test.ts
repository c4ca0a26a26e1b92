import { describe, expect, it } from "vitest";
import { ConfigError, describeConfig, parseConfig, requireApiKey } from "../src/index.ts";

describe("parseConfig", () => {
  it("applies every default when the environment is empty", () => {
    const config = parseConfig({});
    expect(config.redisUrl).toBe("redis://127.0.0.1:6379");
    expect(config.prefix).toBe("{veoq}");
    expect(config.baseUrl).toBe("https://api.jiekou.ai");
    expect(config.apiKey).toBeUndefined();
    expect(config.submitConcurrency).toBe(4);
    expect(config.timeScale).toBe(1);
    expect(config.checkRedisDurability).toBe(true);
  });

  it("parses given values into typed fields", () => {
    const config = parseConfig({
      JIEKOU_BASE_URL: "http://127.0.0.1:4010/",
      VEOQ_POLL_CONCURRENCY: "7",
      VEOQ_TIME_SCALE: "0.01",
      VEOQ_CHECK_REDIS_DURABILITY: "no",
      JIEKOU_API_KEY: "k",
    });
    expect(config.baseUrl).toBe("http://127.0.0.1:4010");
    expect(config.pollConcurrency).toBe(7);
    expect(config.timeScale).toBe(0.01);
    expect(config.checkRedisDurability).toBe(false);
    expect(requireApiKey(config)).toBe("k");
  });

  it("reads DASHBOARD_ALLOWED_HOSTS as a list of names, and refuses URLs in it", () => {
    expect(parseConfig({}).dashboardAllowedHosts).toEqual([]);
    expect(
      parseConfig({ DASHBOARD_ALLOWED_HOSTS: " dash.example, 10.0.0.5 ,[::1]," })
        .dashboardAllowedHosts,
    ).toEqual(["dash.example", "10.0.0.5", "[::1]"]);
    expect(() => parseConfig({ DASHBOARD_ALLOWED_HOSTS: "https://dash.example" })).toThrow(
      /DASHBOARD_ALLOWED_HOSTS must be host names separated by commas/,
    );
  });

  it("names every invalid variable in one message without echoing values", () => {
    let error: unknown;
    try {
      parseConfig({
        VEOQ_SUBMIT_CONCURRENCY: "four",
        REDIS_URL: "http://secret-host:6379",
        LOG_LEVEL: "loud",
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain("VEOQ_SUBMIT_CONCURRENCY must be a number");
    expect(message).toContain("REDIS_URL must start with redis://");
    expect(message).toContain("LOG_LEVEL must be one of");
    expect(message).not.toContain("secret-host");
    expect((error as ConfigError).problems).toHaveLength(3);
  });

  it("rejects non-integers and out-of-range numbers", () => {
    expect(() => parseConfig({ VEOQ_POLL_CONCURRENCY: "1.5" })).toThrow(/whole number/);
    expect(() => parseConfig({ VEOQ_SUBMIT_CONCURRENCY: "0" })).toThrow(/VEOQ_SUBMIT_CONCURRENCY/);
    expect(() => parseConfig({ VEOQ_TIME_SCALE: "-1" })).toThrow(/VEOQ_TIME_SCALE must be > 0/);
  });

  it("requires the API key only where asked, naming the variable", () => {
    expect(() => requireApiKey(parseConfig({}))).toThrow(/JIEKOU_API_KEY is required/);
  });

  it("describes every variable for the README", () => {
    const rows = describeConfig();
    expect(rows.map((r) => r.env)).toContain("JIEKOU_API_KEY");
    expect(rows.every((r) => r.description.length > 0)).toBe(true);
  });
});

describe("parseConfig: where Redis is", () => {
  it("is the standalone REDIS_URL by default", () => {
    expect(parseConfig({}).redis).toMatchObject({ kind: "standalone", env: "REDIS_URL" });
  });

  it("reads cluster seeds and sentinel addresses with their credentials", () => {
    const cluster = parseConfig({
      REDIS_CLUSTER_NODES: "10.0.0.1:7000, redis-b:7001",
      REDIS_PASSWORD: "pw",
      REDIS_TLS: "1",
    }).redis;
    expect(cluster).toEqual({
      kind: "cluster",
      env: "REDIS_CLUSTER_NODES",
      nodes: [
        { host: "10.0.0.1", port: 7000 },
        { host: "redis-b", port: 7001 },
      ],
      auth: { username: undefined, password: "pw", sentinelPassword: undefined, tls: true },
    });
    const sentinel = parseConfig({
      REDIS_SENTINELS: "s1:26379",
      REDIS_SENTINEL_NAME: "veoq",
    }).redis;
    expect(sentinel).toMatchObject({
      kind: "sentinel",
      name: "veoq",
      sentinels: [{ host: "s1", port: 26379 }],
    });
  });

  it("refuses two ways at once, a sentinel group without a name and malformed lists", () => {
    expect(() =>
      parseConfig({ REDIS_URL: "redis://h:6379", REDIS_CLUSTER_NODES: "h:7000" }),
    ).toThrow(/REDIS_URL, REDIS_CLUSTER_NODES are all set: set exactly one of/);
    expect(() => parseConfig({ REDIS_SENTINELS: "s1:26379" })).toThrow(
      /REDIS_SENTINEL_NAME is required with REDIS_SENTINELS/,
    );
    expect(() => parseConfig({ REDIS_CLUSTER_NODES: "h:70000" })).toThrow(
      /REDIS_CLUSTER_NODES must be comma-separated host:port entries/,
    );
  });
});

describe("parseConfig: object storage", () => {
  it("splits VEOQ_OUTPUT_URL into bucket and prefix", () => {
    expect(parseConfig({ VEOQ_OUTPUT_URL: "s3://videos/runs/2026/" }).outputUrl).toEqual({
      bucket: "videos",
      prefix: "runs/2026",
    });
    expect(parseConfig({ VEOQ_OUTPUT_URL: "s3://videos" }).outputUrl).toEqual({
      bucket: "videos",
      prefix: "",
    });
  });

  it("refuses a bad URL and half a key pair", () => {
    expect(() => parseConfig({ VEOQ_OUTPUT_URL: "s3://Bad_Bucket/x" })).toThrow(
      /VEOQ_OUTPUT_URL must be s3:/,
    );
    expect(() => parseConfig({ VEOQ_OUTPUT_URL: "s3://videos/a/../b" })).toThrow(/VEOQ_OUTPUT_URL/);
    expect(() => parseConfig({ AWS_ACCESS_KEY_ID: "k" })).toThrow(
      /AWS_SECRET_ACCESS_KEY is required/,
    );
  });
});
