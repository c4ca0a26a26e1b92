import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseConfig } from "@veoq/config";
import { type LocalS3, startLocalS3 } from "@veoq/local-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { objectStoreFromConfig, type S3ObjectStore } from "../src/index.ts";

describe("S3ObjectStore against s3rver", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "veoq-object-store-"));
  let s3: LocalS3;
  let store: S3ObjectStore;
  beforeAll(async () => {
    s3 = await startLocalS3({ dataDir: dir, buckets: ["videos"] });
    const config = parseConfig({ ...s3.env, VEOQ_OUTPUT_URL: "s3://videos/runs" });
    const made = objectStoreFromConfig(config);
    if (made === undefined) throw new Error("no store");
    store = made;
  });
  afterAll(async () => {
    store?.close();
    await s3?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("streams chunks into a multipart upload, visible only after commit, and a retry overwrites", async () => {
    const part = Buffer.alloc(5 * 1024 * 1024, 1);
    const sink = store.openUpload("b/c/0.mp4", "video/mp4");
    await sink.write(part);
    await sink.write(part);
    await expect(store.read("s3://videos/runs/b/c/0.mp4")).rejects.toThrow();
    await sink.write(Buffer.from("end"));
    await sink.commit();
    expect((await store.read(store.uriOf("b/c/0.mp4"))).length).toBe(part.length * 2 + 3);

    const again = store.openUpload("b/c/0.mp4", "video/mp4");
    await again.write(Buffer.from("second try"));
    await again.commit();
    expect((await store.read("s3://videos/runs/b/c/0.mp4")).toString()).toBe("second try");
  }, 30_000);

  it("leaves nothing under the key when an upload is discarded", async () => {
    const sink = store.openUpload("b/c/1.mp4", "video/mp4");
    await sink.write(Buffer.alloc(6 * 1024 * 1024, 2));
    await sink.discard();
    await expect(store.read("s3://videos/runs/b/c/1.mp4")).rejects.toThrow();
  }, 30_000);

  it("stores an input once under its content address and reads it back", async () => {
    const bytes = Buffer.from("png bytes");
    const uri = await store.putIfAbsent("inputs/abc", bytes, "image/png");
    expect(uri).toBe("s3://videos/runs/inputs/abc");
    expect(await store.putIfAbsent("inputs/abc", Buffer.from("other"), "image/png")).toBe(uri);
    expect((await store.read(uri)).toString()).toBe("png bytes");
    await expect(store.read("s3://elsewhere/inputs/abc")).rejects.toThrow(
      /not an object of bucket videos/,
    );
    expect(readdirSync(dir)).toContain("videos");
  }, 30_000);
});
