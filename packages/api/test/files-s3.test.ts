import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type LocalS3, startLocalS3 } from "@veoq/local-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiHarness, apiLine, createApiHarness, READ_TOKEN } from "./api-harness.ts";

/*
 * With VEOQ_OUTPUT_URL=s3://..., the files route answers a 302 to a presigned GET URL of the
 * object the item's record names (the API never proxies the bytes); that URL serves the video.
 */
const dir = mkdtempSync(path.join(tmpdir(), "veoq-api-s3-"));
let s3: LocalS3;
let h: ApiHarness;

beforeAll(async () => {
  s3 = await startLocalS3({ dataDir: dir, buckets: ["veoq-api-out"] });
  h = await createApiHarness({
    ...s3.env,
    VEOQ_OUTPUT_URL: `s3://veoq-api-out/runs/${randomBytes(3).toString("hex")}`,
  });
  await h.pipeline.start();
});

afterAll(async () => {
  await h?.close();
  await s3?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("the files route with outputs in S3", () => {
  it("redirects to a presigned GET URL of the saved object", async () => {
    await h.client.createBatch([apiLine("s3-1")], { batch_id: "api-s3" });
    await h.client.waitForBatch("api-s3", { intervalMs: 100, timeoutMs: 60_000 });
    const item = await h.client.getItem("api-s3", "s3-1");
    expect(item.status).toBe("completed");
    const saved = item.status === "completed" ? item.files[0] : undefined;
    expect(saved?.uri).toMatch(/^s3:\/\/veoq-api-out\//);

    const answer = await fetch(`${h.api.url}/v1/files/api-s3/s3-1/0`, {
      headers: { authorization: `Bearer ${READ_TOKEN}` },
      redirect: "manual",
    });
    expect(answer.status).toBe(302);
    const location = answer.headers.get("location") ?? "";
    expect(location).toMatch(/X-Amz-Signature=/);
    expect(location).toMatch(/X-Amz-Expires=900/);
    const video = Buffer.from(await (await fetch(location)).arrayBuffer());
    expect(video.length).toBe(saved?.bytes);
    expect(createHash("sha256").update(video).digest("hex")).toBe(saved?.sha256);
  });
});
