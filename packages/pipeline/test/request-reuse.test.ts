import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createLogger } from "@veoq/logging";
import { afterEach, describe, expect, it } from "vitest";
import {
  BatchControl,
  batchResults,
  cancelBatch,
  enqueueManifest,
  type ResultLine,
  resumeBatch,
  SpendLedger,
} from "../src/index.ts";
import type { SubmitJobData } from "../src/jobs/job-data.ts";
import { canonicalJson, RequestFingerprints } from "../src/operations/request-fingerprint.ts";
import { adoptDroppedTask } from "../src/stages/request-reuse.ts";
import { collect, createHarness, type Harness, liteLine } from "./pipeline-harness.ts";

/** The same requests, in another manifest file (another path, so another default batch id). */
async function copyOf(h: Harness, lines: object[]): Promise<string> {
  return h.writeManifest(lines);
}

function enqueue(h: Harness, manifestPath: string, batchId: string, rerender = false) {
  return enqueueManifest({
    manifestPath,
    batchId,
    queues: h.queues,
    store: h.store,
    submitAttempts: h.config.submitAttempts,
    rerender,
  });
}

async function resultsOf(h: Harness, batchId: string): Promise<Map<string, ResultLine>> {
  const lines = await collect(batchResults(h.store, batchId));
  return new Map(lines.map((l) => [l.customId, l]));
}

const creates = (h: Harness) => h.simulator.stats().creates.accepted;

describe("same request, same money", () => {
  let h: Harness;
  afterEach(async () => h?.close());

  const lines = [
    liteLine("a", { seed: 1 }),
    liteLine("b", { seed: 2 }),
    liteLine("c", { seed: 3 }),
  ];

  it("reuses the outputs of a rendered request enqueued again under another batch id, and --rerender pays again", async () => {
    h = await createHarness();
    await h.start();
    await enqueue(h, await h.writeManifest(lines), "first");
    await h.waitForBatch("first");
    expect(creates(h)).toBe(3);

    // Same requests under other custom ids and another batch: nothing new is created.
    const renamed = lines.map((l, i) => ({ ...l, custom_id: `copy-${i}` }));
    const again = await enqueue(h, await copyOf(h, renamed), "second");
    expect(again.added).toBe(3);
    expect(again.reused.lines).toBe(3);
    await h.waitForBatch("second");
    expect(creates(h)).toBe(3);
    const first = await resultsOf(h, "first");
    const second = await resultsOf(h, "second");
    for (const [i, id] of ["a", "b", "c"].entries()) {
      const reused = second.get(`copy-${i}`);
      const owner = first.get(id);
      expect(reused?.status).toBe("completed");
      if (reused?.status !== "completed" || owner?.status !== "completed") throw new Error();
      expect(reused.reusedFrom).toEqual({ batchId: "first", customId: id });
      expect(reused.taskIds).toEqual([]);
      expect(reused.files.map((f) => f.sha256)).toEqual(owner.files.map((f) => f.sha256));
      expect(owner.reusedFrom).toBeUndefined();
      // Its files are under its own batch too: hard links to the owner's.
      for (const [n, file] of reused.files.entries()) {
        expect(file.path).toBe(path.join("second", `copy-${i}`, `${file.index}.mp4`));
        const mine = await stat(path.join(h.config.outputDir, file.path));
        const theirs = await stat(path.join(h.config.outputDir, owner.files[n]?.path ?? ""));
        expect(mine.ino).toBe(theirs.ino);
        expect(file.uri).toBe(pathToFileURL(path.join(h.config.outputDir, file.path)).href);
      }
    }
    expect((await h.store.getBatch("second"))?.reused).toBe(3);
    expect((await h.store.getBatch("first"))?.reused).toBe(0);

    // A changed seed is another request.
    const changed = await enqueue(h, await copyOf(h, [liteLine("a", { seed: 99 })]), "third");
    expect(changed.reused.lines).toBe(0);
    await h.waitForBatch("third");
    expect(creates(h)).toBe(4);

    const rerendered = await enqueue(h, await copyOf(h, lines), "fourth", true);
    expect(rerendered.reused.lines).toBe(0);
    await h.waitForBatch("fourth");
    expect(creates(h)).toBe(7);
    const fourth = await resultsOf(h, "fourth");
    expect([...fourth.values()].every((l) => l.status === "completed" && !l.reusedFrom)).toBe(true);
  });

  it("waits for a request in flight in another batch instead of paying for it twice", async () => {
    h = await createHarness();
    const manifest = await h.writeManifest(lines);
    await enqueue(h, manifest, "first");
    const again = await enqueue(h, await copyOf(h, lines), "second");
    expect(again.reused.lines).toBe(3);
    for (let i = 0; i < 2; i++) await h.start({ concurrency: { submit: 4 } });
    await h.waitForBatch("first");
    await h.waitForBatch("second");
    expect(creates(h)).toBe(3);
    const second = await resultsOf(h, "second");
    for (const id of ["a", "b", "c"]) {
      const line = second.get(id);
      expect(line?.status === "completed" && line.reusedFrom).toEqual({
        batchId: "first",
        customId: id,
      });
    }
  });

  it("renders a request itself when the item that had it failed", async () => {
    h = await createHarness();
    const failing = [liteLine("x", { prompt: "a doomed video [sim:fail]" })];
    await enqueue(h, await h.writeManifest(failing), "first");
    const again = await enqueue(h, await copyOf(h, failing), "second");
    expect(again.reused.lines).toBe(1); // in flight when enqueued
    await h.start();
    await h.waitForBatch("first");
    await h.waitForBatch("second");
    const [first, second] = [await resultsOf(h, "first"), await resultsOf(h, "second")];
    expect(first.get("x")?.status).toBe("failed");
    const line = second.get("x");
    expect(line?.status).toBe("failed");
    if (line?.status !== "failed") throw new Error();
    expect(line.reusedFrom).toBeUndefined();
    expect(line.taskIds).toHaveLength(1); // its own task: nothing was lost behind the failure
    expect(creates(h)).toBe(2);
  });

  it("renders a request itself when the batch that had it was cancelled before rendering it", async () => {
    h = await createHarness();
    const one = [liteLine("y", { seed: 7 })];
    await enqueue(h, await h.writeManifest(one), "first");
    const again = await enqueue(h, await copyOf(h, one), "second");
    expect(again.reused.lines).toBe(1); // in flight (queued) when enqueued
    const life = {
      store: h.store,
      queues: h.queues,
      control: new BatchControl(h.redis, h.config.prefix),
      spend: new SpendLedger(h.redis, h.config.prefix),
    };
    expect((await cancelBatch(life, "first", { dropInFlight: true })).changed).toBe(true);
    await h.start();
    await h.waitForBatch("second");
    const line = (await resultsOf(h, "second")).get("y");
    expect(line?.status).toBe("completed");
    if (line?.status !== "completed") throw new Error();
    expect(line.reusedFrom).toBeUndefined();
    expect(line.taskIds).toHaveLength(1); // its own render, not lost behind the cancelled owner
    expect(creates(h)).toBe(1);
  });

  it("follows the owner's paid tasks when the owner batch is cancelled with --drop-in-flight: each request paid once", async () => {
    h = await createHarness();
    // Long enough to be in flight when the owner is cancelled (3 real seconds).
    const slow = [1, 2, 3, 4, 5].map((n) =>
      liteLine(`s${n}`, { seed: n, prompt: `a slow video ${n} [sim:duration=300]` }),
    );
    await enqueue(h, await h.writeManifest(slow), "first");
    await h.start({ concurrency: { submit: 5 } });
    await h.waitFor(
      async () => (await h.store.getBatch("first"))?.counts.processing === 5,
      "the owner's 5 tasks to be created",
    );
    const again = await enqueue(h, await copyOf(h, slow), "second");
    expect(again.reused.lines).toBe(5);
    const life = {
      store: h.store,
      queues: h.queues,
      control: new BatchControl(h.redis, h.config.prefix),
      spend: new SpendLedger(h.redis, h.config.prefix),
    };
    expect((await cancelBatch(life, "first", { dropInFlight: true })).inFlight).toBe(5);
    await h.waitForBatch("second", 30_000);
    const [first, second] = [await resultsOf(h, "first"), await resultsOf(h, "second")];
    for (const line of slow) {
      const owner = first.get(line.custom_id);
      const follower = second.get(line.custom_id);
      if (owner?.status !== "cancelled" || follower?.status !== "completed") {
        throw new Error(`${line.custom_id}: owner ${owner?.status}, follower ${follower?.status}`);
      }
      // The follower saved the owner's paid task: the same task id, no create of its own.
      expect(follower.taskIds).toEqual(owner.taskIds);
    }
    expect(creates(h)).toBe(5);
  });

  it("a batch waiting on a paused owner records and logs why, and goes on when the owner resumes", async () => {
    h = await createHarness();
    const one = [liteLine("p1", { seed: 11 }), liteLine("p2", { seed: 12 })];
    await enqueueManifest({
      manifestPath: await h.writeManifest(one),
      batchId: "owner",
      queues: h.queues,
      store: h.store,
      submitAttempts: h.config.submitAttempts,
      paused: true,
    });
    const again = await enqueue(h, await copyOf(h, one), "waiter");
    expect(again.reused.lines).toBe(2);
    const logLines: string[] = [];
    await h.start({
      logger: createLogger({
        level: "info",
        destination: { write: (line: string) => void logLines.push(line) },
      }),
    });
    await h.waitFor(
      async () => (await h.store.getBatch("waiter"))?.reuseWait !== undefined,
      "the waiting batch to record why it waits",
    );
    expect((await h.store.getBatch("waiter"))?.reuseWait).toMatchObject({
      ownerBatchId: "owner",
      reason: "user",
    });
    await h.waitFor(
      async () =>
        logLines.some((l) => l.includes("waiting for batch owner") && l.includes("paused (user)")),
      "the log line",
    );
    expect(creates(h)).toBe(0);
    const life = {
      store: h.store,
      queues: h.queues,
      control: new BatchControl(h.redis, h.config.prefix),
      spend: new SpendLedger(h.redis, h.config.prefix),
    };
    expect(await resumeBatch(life, "owner")).toBe(true);
    await h.waitForBatch("waiter", 30_000);
    expect((await h.store.getBatch("waiter"))?.reuseWait).toBeUndefined();
    expect(creates(h)).toBe(2);
  });

  it("keeps identical lines of one manifest as separate renders, and maps a copy's k-th to the k-th", async () => {
    h = await createHarness();
    const twins = [liteLine("one"), { ...liteLine("one"), custom_id: "two" }];
    await h.start();
    await enqueue(h, await h.writeManifest(twins), "first");
    await h.waitForBatch("first");
    expect(creates(h)).toBe(2);
    const again = await enqueue(h, await copyOf(h, twins), "second");
    expect(again.reused.lines).toBe(2);
    await h.waitForBatch("second");
    expect(creates(h)).toBe(2);
    const second = await resultsOf(h, "second");
    const owners = ["one", "two"].map((id) => {
      const line = second.get(id);
      return line?.status === "completed" ? line.reusedFrom?.customId : undefined;
    });
    expect(owners).toEqual(["one", "two"]);
  });
});

describe("request keys", () => {
  it("match the same request whatever the key order or image path, and differ by seed or image bytes", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "veoq-request-key-"));
    try {
      const [a, b, c] = ["a.png", "copy-of-a.png", "c.png"].map((f) => path.join(dir, f));
      await writeFile(a as string, "same bytes");
      await writeFile(b as string, "same bytes");
      await writeFile(c as string, "other bytes");
      const line = (image: string, seed: number, flip = false) => ({
        model: "veo-3.1-generate-img2video" as const,
        input: flip ? { seed, image, prompt: "p" } : { prompt: "p", image, seed },
        localImages: ["image"],
      });
      const key = (l: ReturnType<typeof line>) => new RequestFingerprints().next(l);
      const base = await key(line(a as string, 1));
      expect(await key(line(b as string, 1, true))).toBe(base);
      expect(await key(line(a as string, 2))).not.toBe(base);
      expect(await key(line(c as string, 1))).not.toBe(base);
      // The second identical line of one manifest is a request of its own.
      const keys = new RequestFingerprints();
      const [first, second] = [
        await keys.next(line(a as string, 1)),
        await keys.next(line(b as string, 1)),
      ];
      expect(first).toBe(base);
      expect(second).not.toBe(base);
      expect(second).toMatch(/^[A-Za-z0-9_-]{16}$/);
      // Once an image is hashed, later lines naming it are keyed without waiting, to the same
      // keys (and the same occurrence counts) as `next` gives.
      const third = keys.nextKnown(line(a as string, 1));
      expect(keys.nextKnown(line(c as string, 1))).toBeUndefined();
      const fresh = new RequestFingerprints();
      await fresh.next(line(a as string, 1));
      await fresh.next(line(a as string, 1));
      expect(third).toBe(await fresh.next(line(a as string, 1)));
      expect(keys.nextKnown(line(a as string, 2))).toBe(await key(line(a as string, 2)));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("RequestFingerprints", () => {
  it("counts each request's occurrences across thousands of requests (the table grows)", () => {
    const keys = new RequestFingerprints();
    const line = (i: number) => ({
      model: "veo-3.1-lite-firstlastframe" as const,
      input: { prompt: `take ${i}`, duration: 8 },
      localImages: [],
    });
    const rounds = [0, 1, 2].map(() =>
      Array.from({ length: 5000 }, (_, i) => keys.nextKnown(line(i)) as string),
    );
    expect(new Set(rounds.flat()).size).toBe(15000);
    // The same manifest keyed again maps each line's k-th occurrence to the same key.
    const again = new RequestFingerprints();
    expect(Array.from({ length: 5000 }, (_, i) => again.nextKnown(line(i)))).toEqual(rounds[0]);
    expect(Array.from({ length: 5000 }, (_, i) => again.nextKnown(line(i)))).toEqual(rounds[1]);
  });
});

describe("canonicalJson", () => {
  it("sorts keys by UTF-16 code units at every level and leaves out undefined fields", () => {
    const value = { b: 1, a: [{ d: undefined, c: "x" }, null, undefined], é: 2, Z: 3, "": true };
    expect(canonicalJson(value)).toBe('{"":true,"Z":3,"a":[{"c":"x"},null,null],"b":1,"é":2}');
    expect(canonicalJson("s")).toBe('"s"');
    expect(canonicalJson(undefined)).toBe("null");
    // Keys an object lists first whatever their insertion order (array indices): still sorted.
    expect(canonicalJson({ b: { "10": 1, "9": 2, a: [3, { y: 0, x: -0 }] }, a: "é" })).toBe(
      '{"a":"é","b":{"10":1,"9":2,"a":[3,{"x":0,"y":0}]}}',
    );
  });
});

describe("request keys", () => {
  it("stay the keys earlier versions stored (reuse across batches of older enqueues)", () => {
    const keys = new RequestFingerprints();
    const line = {
      model: "veo-3.1-generate-img2video" as const,
      input: {
        prompt: "a lighthouse",
        image: "https://x/a.png",
        reference_images: [{ reference_type: "asset", image: "https://x/b.png" }],
        duration_seconds: 8,
      },
      localImages: [],
    };
    expect([keys.nextKnown(line), keys.nextKnown(line)]).toEqual([
      "WZLheu7eZyTV5crT",
      "u0EtZtfOlOqksBdw",
    ]);
    const digitKeys = (prompt: string) => ({
      model: "veo-3.1-generate-img2video" as const,
      input: { prompt, z: { b: [1, { y: 2, x: "é" }], a: null }, "10": 1, "9": 2 },
      localImages: [],
    });
    expect([keys.nextKnown(digitKeys("a")), keys.nextKnown(digitKeys("a"))]).toEqual([
      "pUQt6oXaOlMBggYY",
      "OVfGMk67ZhGWCHtv",
    ]);
  });
});

describe("adoptDroppedTask", () => {
  const trace = { submitAttempts: 1, taskIds: ["own"], retries: [] } as never;
  // This job once sent a create through key a (recorded), then adopts another batch's task.
  const data = {
    v: 1,
    batchId: "B",
    customId: "x",
    model: "veo-3-lite",
    submission: 0,
    trace,
    input: {},
    localImages: [],
    keyName: "a",
    keyAccount: "a",
  } as unknown as SubmitJobData;

  it("records the dropped task's key, not the key an earlier try of the adopter used", () => {
    const adopted = adoptDroppedTask(
      data,
      { taskId: "t", createdAt: 5, keyName: "b", keyAccount: "b" },
      9,
    );
    expect([adopted.taskId, adopted.keyName, adopted.keyAccount]).toEqual(["t", "b", "b"]);
  });

  it("leaves no key when the dropped task names none (the first key's), rather than the adopter's own", () => {
    const adopted = adoptDroppedTask(
      data,
      { taskId: "t", createdAt: undefined, keyName: undefined },
      9,
    );
    expect(adopted.keyName).toBeUndefined();
    expect(adopted.keyAccount).toBeUndefined();
    expect(adopted.createdAt).toBe(9);
    expect(adopted.trace.taskIds).toEqual(["own", "t"]);
  });
});
