import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { removeKeysUnder } from "@veoq/local-redis";
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { SLOT_WAIT_MARKER, submitQueueWakeKeys } from "../src/store/submit-queue-wake.ts";

/**
 * What store/submit-queue-wake.ts relies on in BullMQ, read from the BullMQ this repo installs
 * (its shipped Lua scripts and its classes): a BullMQ upgrade that changes any of it fails here,
 * not in production.
 */
const bullmqDist = path.dirname(createRequire(import.meta.url).resolve("bullmq"));
const command = (name: string) => readFileSync(path.join(bullmqDist, "commands", name), "utf8");
/** The Lua half of store/submit-queue-wake.ts. */
const include = (name: string) =>
  readFileSync(
    path.join(import.meta.dirname, "..", "src", "store", "scripts", "includes", name),
    "utf8",
  );

describe("the BullMQ internals the submit queue wake-up relies on", () => {
  const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", {
    maxRetriesPerRequest: null,
  });
  const prefix = `{veoq-test-wake-${randomBytes(4).toString("hex")}}`;
  afterAll(async () => {
    await removeKeysUnder(redis, prefix);
    redis.disconnect();
  });

  it("(1) a fetch is limited while the limiter key's number is at least the limiter max, for its PTTL", () => {
    const ttl = command("includes/getRateLimitTTL.lua");
    expect(ttl).toMatch(/maxJobs <= tonumber\(rcall\("GET", rateLimiterKey\) or 0\)/);
    expect(ttl).toMatch(/rcall\("PTTL", rateLimiterKey\)/);
    const moveToActive = command("moveToActive-11.lua");
    expect(moveToActive).toMatch(/KEYS\[6\]\s+rate limiter key/);
    expect(moveToActive).toMatch(/getRateLimitTTL\(maxJobs, rateLimiterKey\)/);
  });

  it("(1) queue.rateLimit writes a number above the slot-wait marker, which is a safe integer", async () => {
    const queue = new Queue("submit", { connection: redis, prefix });
    try {
      const keys = submitQueueWakeKeys(queue);
      expect(keys).toEqual({
        limiter: `${prefix}:submit:limiter`,
        marker: `${prefix}:submit:marker`,
      });
      await queue.rateLimit(60_000);
      const written = Number(await redis.get(keys.limiter));
      expect(written).toBeGreaterThan(Number(SLOT_WAIT_MARKER));
      expect(Number.isSafeInteger(Number(SLOT_WAIT_MARKER))).toBe(true);
    } finally {
      await queue.close();
    }
  });

  it("(2) workers block on the marker sorted set, and adding a job wakes them with 0 '0'", () => {
    expect(command("includes/addBaseMarkerIfNeeded.lua")).toMatch(
      /rcall\("ZADD", markerKey, 0, "0"\)/,
    );
    // Ours adds the same member, and lifts only its own wait.
    const wake = include("wakeSubmitQueue.lua");
    expect(wake).toMatch(/redis\.call\('ZADD', KEYS\[4\], 0, '0'\)/);
    expect(wake).toMatch(/redis\.call\('GET', KEYS\[3\]\) == ARGV\[3\]/);
    expect(include("waitForSlot.lua")).toMatch(
      /redis\.call\('SET', KEYS\[3\], ARGV\[4\], 'PX', ARGV\[5\]\)/,
    );
    const worker = Worker.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
    expect(String(worker.waitForJob)).toMatch(/bzpopmin\(this\.keys\.marker/);
  });

  it("(3) a limited worker sleeps on abortDelayController; (4) RateLimitError returns through moveLimitedBackToWait", async () => {
    const worker = Worker.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
    expect(String(worker.waitForRateLimit)).toMatch(
      /this\.abortDelayController = new [\w.]*AbortController\(\)[\s\S]*this\.delay\(delay, this\.abortDelayController\)/,
    );
    expect(String(worker.handleFailed)).toMatch(
      /RATE_LIMIT_ERROR[\s\S]*this\.moveLimitedBackToWait\(job, token\)/,
    );
    const instance = new Worker("submit", null, { connection: redis, prefix, autorun: false });
    try {
      expect("abortDelayController" in instance).toBe(true);
      expect(typeof (instance as unknown as Record<string, unknown>).moveLimitedBackToWait).toBe(
        "function",
      );
    } finally {
      await instance.close();
    }
  });
});
