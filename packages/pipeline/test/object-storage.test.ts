import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type CreateRequest, requestedVideoOf } from "@veoq/contract";
import { type LocalS3, startLocalS3 } from "@veoq/local-s3";
import { objectStoreFromConfig } from "@veoq/object-store";
import { simulatedFileBytes } from "@veoq/simulator";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BatchControl, batchResults, deleteBatch, type SubmitJobData } from "../src/index.ts";
import {
  collect,
  createHarness,
  type Harness,
  img2videoLine,
  liteLine,
} from "./pipeline-harness.ts";

/**
 * VEOQ_OUTPUT_URL=s3://bucket/prefix against s3rver: outputs go to the bucket (nothing in
 * VEOQ_OUTPUT_DIR), results carry `uri`, and input images are stored once at enqueue so a worker
 * that cannot read the manifest's folder still renders the batch.
 */
const dir = mkdtempSync(path.join(tmpdir(), "veoq-object-storage-"));
let s3: LocalS3;
beforeAll(async () => {
  s3 = await startLocalS3({ dataDir: dir, buckets: ["veoq-out"] });
});
afterAll(async () => {
  await s3?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("outputs and inputs in an S3 bucket", () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it("renders a batch whose images the worker cannot read, saving every file to the bucket", async () => {
    h = await createHarness({ env: { ...s3.env, VEOQ_OUTPUT_URL: "s3://veoq-out/runs/r1" } });
    const manifest = await h.writeManifest([
      img2videoLine("i2v", { sample_count: 2 }),
      liteLine("lite"),
      img2videoLine("same-image"),
    ]);
    expect((await h.enqueue(manifest)).added).toBe(3);

    // Jobs name the stored object, not the local path: one object for the one distinct image. Submit jobs wait as prioritized (fair-share turn).
    const jobs = await h.queues.submit.getJobs(["prioritized"]);
    const images = new Set(
      jobs.flatMap((job) => {
        const data = job.data as SubmitJobData;
        return [data.input.image, data.input.last_frame_image].filter((v) => v !== undefined);
      }),
    );
    const askedOf = new Map(
      jobs.map((job) => {
        const data = job.data as SubmitJobData;
        return [data.customId, requestedVideoOf(data.model, data.input as CreateRequest)];
      }),
    );
    expect([...images]).toEqual([
      expect.stringMatching(/^s3:\/\/veoq-out\/runs\/r1\/inputs\/[0-9a-f]{64}$/),
    ]);

    // The worker's machine has no access to the manifest's folder.
    await rm(path.join(h.dir, "frame.png"));
    await h.start();
    await h.waitForBatch("b1");

    const lines = await collect(batchResults(h.store, "b1"));
    expect(lines.map((l) => l.status)).toEqual(["completed", "completed", "completed"]);
    const store = objectStoreFromConfig(h.config);
    if (store === undefined) throw new Error("no store");
    try {
      for (const line of lines) {
        if (line.status !== "completed") continue;
        for (const file of line.files) {
          expect(file.uri).toBe(`s3://veoq-out/runs/r1/b1/${line.customId}/${file.index}.mp4`);
          const bytes = await store.read(file.uri as string);
          const asked = askedOf.get(line.customId);
          if (asked === undefined) throw new Error(`no submit job for ${line.customId}`);
          const expected = simulatedFileBytes(
            line.taskIds[0] as string,
            file.index,
            asked,
            bytes.length,
          );
          expect(bytes.equals(expected)).toBe(true);
          expect(file.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
          expect(file.bytes).toBe(bytes.length);
        }
      }
    } finally {
      store.close();
    }
    const i2v = lines.find((l) => l.customId === "i2v");
    expect(i2v?.status === "completed" ? i2v.files : []).toHaveLength(2);
    // Nothing went to local disk.
    expect(existsSync(h.config.outputDir)).toBe(false);
  }, 60_000);

  it("checks each uploaded video as a file on disk is checked: a truncated one fails output_invalid and no object is left", async () => {
    // Every video cut to 1,500 bytes with a matching Content-Length: only the container tells.
    h = await createHarness({
      env: { ...s3.env, VEOQ_OUTPUT_URL: "s3://veoq-out/runs/cut" },
      simulator: { truncatedFileBytes: 1500 },
    });
    await h.start();
    const ids = ["cut-1", "cut-2", "cut-3"];
    await h.enqueue(await h.writeManifest(ids.map((id) => img2videoLine(id))));
    await h.waitForBatch("b1");
    const lines = await collect(batchResults(h.store, "b1"));
    expect(lines.map((l) => l.status)).toEqual(["failed", "failed", "failed"]);
    for (const line of lines) {
      expect(line).toMatchObject({ failedStage: "download", errorKind: "output_invalid" });
    }
    const store = objectStoreFromConfig(h.config);
    if (store === undefined) throw new Error("no store");
    try {
      for (const id of ids) {
        await expect(store.read(`s3://veoq-out/runs/cut/b1/${id}/0.mp4`)).rejects.toThrow();
      }
    } finally {
      store.close();
    }
  }, 60_000);

  it("gives a reused item its own objects under its batch, copied server-side", async () => {
    h = await createHarness({ env: { ...s3.env, VEOQ_OUTPUT_URL: "s3://veoq-out/runs/reuse" } });
    await h.start();
    const line = liteLine("orig", { seed: 7 });
    await h.enqueue(await h.writeManifest([line]), "first");
    await h.waitForBatch("first");
    const again = await h.enqueue(
      await h.writeManifest([{ ...line, custom_id: "copy" }]),
      "second",
    );
    expect(again.reused.lines).toBe(1);
    await h.waitForBatch("second");
    const [owner] = await collect(batchResults(h.store, "first"));
    const [reused] = await collect(batchResults(h.store, "second"));
    if (owner?.status !== "completed" || reused?.status !== "completed") throw new Error();
    expect(reused.reusedFrom).toEqual({ batchId: "first", customId: "orig" });
    expect(reused.files.map((f) => f.uri)).toEqual(["s3://veoq-out/runs/reuse/second/copy/0.mp4"]);
    expect(reused.files[0]?.path).toBe("second/copy/0.mp4");
    expect((await h.store.getBatch("second"))?.reused).toBe(1);
    const store = objectStoreFromConfig(h.config);
    if (store === undefined) throw new Error("no store");
    try {
      const mine = await store.read(reused.files[0]?.uri as string);
      const theirs = await store.read(owner.files[0]?.uri as string);
      expect(mine.equals(theirs)).toBe(true);
      expect(createHash("sha256").update(mine).digest("hex")).toBe(reused.files[0]?.sha256);

      // `veoq delete first --files` removes its objects; the reused copy stays.
      const deleted = await deleteBatch(
        {
          store: h.store,
          queues: h.queues,
          control: new BatchControl(h.redis, h.config.prefix),
          outputDir: h.config.outputDir,
          objectStore: store,
        },
        "first",
        { files: true },
      );
      expect(deleted.files).toBe(1);
      await expect(store.read(owner.files[0]?.uri as string)).rejects.toThrow();
      expect((await store.read(reused.files[0]?.uri as string)).equals(mine)).toBe(true);
    } finally {
      store.close();
    }
    expect(existsSync(h.config.outputDir)).toBe(false);
  }, 60_000);

  it("gives local files a file:// uri when no bucket is set", async () => {
    h = await createHarness();
    await h.start();
    await h.enqueue(await h.writeManifest([img2videoLine("local")]));
    await h.waitForBatch("b1");
    const [line] = await collect(batchResults(h.store, "b1"));
    expect(line?.status).toBe("completed");
    if (line?.status !== "completed") return;
    expect(line.files[0]?.uri).toBe(
      `file://${path.join(h.config.outputDir, "b1", "local", "0.mp4")}`,
    );
  }, 30_000);
});
