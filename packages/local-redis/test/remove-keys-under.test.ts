import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { keyPatternsUnder, removeKeysUnder } from "../src/index.ts";

const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
const name = `veoq-remove-${randomBytes(4).toString("hex")}`;
const neighbour = `{${name}x}`;

afterAll(async () => {
  await removeKeysUnder(redis, neighbour);
  redis.disconnect();
});

describe("removeKeysUnder", () => {
  it("removes the prefix's own keys and its spread hash tags, and nothing of a neighbour", async () => {
    const prefix = `{${name}}`;
    await redis.set(`${prefix}:batch:a`, "1");
    await redis.set(`{${name}:poll}:wait`, "1");
    await redis.hset(`{${name}:b:a}:items`, "x", "queued");
    await redis.set(`${neighbour}:batch:a`, "1");

    expect(await removeKeysUnder(redis, prefix)).toBe(3);
    expect(await redis.keys(`*${name}*`)).toEqual([`${neighbour}:batch:a`]);
  });

  it("a prefix without hash tag is one pattern", () => {
    expect(keyPatternsUnder("plain")).toEqual(["plain*"]);
    expect(keyPatternsUnder("{v}")).toEqual(["{v}*", "{v:*"]);
  });
});
