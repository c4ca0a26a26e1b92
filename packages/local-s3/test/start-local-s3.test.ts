import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { afterAll, describe, expect, it } from "vitest";
import { LOCAL_S3_CREDENTIALS, type LocalS3, startLocalS3 } from "../src/index.ts";

describe("startLocalS3", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "veoq-local-s3-"));
  let s3: LocalS3 | undefined;
  afterAll(async () => {
    await s3?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("takes a multipart upload of a stream and serves the object back", async () => {
    s3 = await startLocalS3({ dataDir: dir, buckets: ["videos"] });
    const client = new S3Client({
      endpoint: s3.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: LOCAL_S3_CREDENTIALS,
    });
    const part = Buffer.alloc(5 * 1024 * 1024, 7);
    const body = Readable.from([part, part, Buffer.from("tail")]);
    const upload = new Upload({
      client,
      params: { Bucket: "videos", Key: "a/b.mp4", Body: body },
      partSize: 5 * 1024 * 1024,
    });
    let parts = 0;
    upload.on("httpUploadProgress", (p) => {
      if (p.part !== undefined) parts = Math.max(parts, p.part);
    });
    await upload.done();
    expect(parts).toBe(3); // really multipart, not one PUT
    const got = await client.send(new GetObjectCommand({ Bucket: "videos", Key: "a/b.mp4" }));
    const bytes = await got.Body?.transformToByteArray();
    expect(bytes?.length).toBe(part.length * 2 + 4);
    client.destroy();
  }, 30_000);
});
