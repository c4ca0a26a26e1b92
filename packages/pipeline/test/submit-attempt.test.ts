import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { removeKeysUnder } from "@veoq/local-redis";
import { createLogger } from "@veoq/logging";
import type { ProviderClient } from "@veoq/provider-client";
import { RateLimitError } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { ProviderKeys } from "../src/keys/provider-keys.ts";
import type { PipelineContext } from "../src/stages/pipeline-context.ts";
import {
  type AttemptOutcome,
  type HeldResource,
  SubmitAttempt,
  spendReservation,
  withSubmitAttempt,
} from "../src/stages/submit-attempt.ts";
import { openStore } from "../src/store/batch-store.ts";
import { SpendLedger } from "../src/store/spend-ledger.ts";

/** A resource that writes down how it was ended. */
function recorded(name: string, log: string[]): HeldResource {
  return {
    name,
    end: async (outcome: AttemptOutcome) => {
      log.push(`${name}:${outcome}`);
    },
  };
}

describe("a submit attempt owns what a submission holds", () => {
  it("ends every resource once, last taken first, whichever exit comes first", async () => {
    const log: string[] = [];
    const attempt = new SubmitAttempt("b~a~0", 1, [recorded("slot", log)]);
    attempt.hold(recorded("reservation", log));
    attempt.hold(recorded("api key", log));
    await attempt.end("maybe_created");
    await attempt.end("not_created");
    await attempt.close();
    expect(log).toEqual([
      "api key:maybe_created",
      "reservation:maybe_created",
      "slot:maybe_created",
    ]);
    expect(() => attempt.hold(recorded("late", log))).toThrow(/after the attempt ended/);
  });

  it("gives everything back when closed before its create was sent, and nothing after", async () => {
    const before: string[] = [];
    const unsent = new SubmitAttempt("b~a~0", 1, [recorded("slot", before)]);
    await unsent.close();
    expect(before).toEqual(["slot:not_created"]);

    const after: string[] = [];
    const sent = new SubmitAttempt("b~a~0", 1, [recorded("slot", after)]);
    sent.markSent();
    await sent.close(); // the task may exist: the next try (or a reconciler) deals with it
    expect(after).toEqual([]);
  });

  it("is the only stage code that takes or frees a slot or settles a reservation", () => {
    const stages = path.join(import.meta.dirname, "..", "src", "stages");
    const callers = readdirSync(stages)
      .filter((name) => name.endsWith(".ts"))
      .filter((name) =>
        /\bslots\.(take|acquire|release|releaseFinished)\(|\bspend\.settle\(/.test(
          readFileSync(path.join(stages, name), "utf8"),
        ),
      );
    expect(callers).toEqual(["submit-attempt.ts"]);
  });
});

describe("withSubmitAttempt against Redis", () => {
  const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
  const prefix = `{veoq-test-attempt-${randomBytes(4).toString("hex")}}`;
  // One key (no pool): the attempt's slot is that key's.
  const keys = new ProviderKeys({
    store: openStore(redis, { prefix }),
    keys: [{ name: "k", secret: "k", rpm: 0, maxInFlight: 1, dailyBudget: undefined, weight: 1 }],
    clientFor: () => ({}) as ProviderClient,
    toMicros: (amount) => Math.round(amount * 1e6),
  });
  const slots = keys.first.slots;
  const spend = new SpendLedger(redis, prefix);
  const spent: number[] = [];
  const context = {
    slots,
    keys,
    spend,
    logger: createLogger({ level: "silent" }),
    observer: { createSpent: ({ costMicros }: { costMicros: number }) => spent.push(costMicros) },
    settings: { timeScale: 0.01, dailyBudgetMicros: undefined },
    now: Date.now,
  } as unknown as PipelineContext;
  const item = (customId: string) => ({
    batchId: "b",
    customId,
    submission: 0,
    model: "veo-3.1-generate-img2video" as const,
  });
  afterAll(async () => {
    await removeKeysUnder(redis, prefix);
    redis.disconnect();
  });

  it("frees the slot and the reservation of an attempt that failed before its create", async () => {
    await expect(
      withSubmitAttempt(context, item("a"), async (attempt) => {
        expect(await spend.gate("b", attempt.holder, 100, undefined, Date.now())).toBe("go");
        attempt.hold(spendReservation(context, item("a"), attempt.holder));
        throw new Error("Redis blinked before the create");
      }),
    ).rejects.toThrow(/blinked/);
    expect((await slots.usage()).inUse).toBe(0);
    expect(await spend.read("b")).toMatchObject({ reservedMicros: 0, spentMicros: 0 });
  });

  it("hands the slot on and books the money when the task was created", async () => {
    const taskId = await withSubmitAttempt(context, item("c"), async (attempt) => {
      expect(await spend.gate("b", attempt.holder, 100, undefined, Date.now())).toBe("go");
      attempt.hold(spendReservation(context, item("c"), attempt.holder));
      attempt.markSent();
      await attempt.end("created");
      return "task-1";
    });
    expect(taskId).toBe("task-1");
    expect(await slots.holdersBefore(Date.now() + 1)).toEqual(["b~c~0"]);
    expect(await spend.read("b")).toMatchObject({ reservedMicros: 0, spentMicros: 100 });
    expect(spent).toEqual([100]);
    // Every slot taken (max 1): the next attempt does not run and the job goes back.
    let ran = false;
    await expect(
      withSubmitAttempt(context, item("d"), async () => {
        ran = true;
      }),
    ).rejects.toBeInstanceOf(RateLimitError);
    expect(ran).toBe(false);
    expect(await slots.release("b~c~0")).toBe(true);
  });
});
