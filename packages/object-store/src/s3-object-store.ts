import { PassThrough } from "node:stream";
import type { S3Client, S3ClientConfig } from "@aws-sdk/client-s3";

/**
 * The AWS SDK, loaded when the first store is made: a process without VEOQ_OUTPUT_URL (and any
 * command that stores nothing) never pays its ~0.2 s of CPU and ~20 MB.
 */
async function loadS3Sdk() {
  const [
    {
      CopyObjectCommand,
      DeleteObjectCommand,
      DeleteObjectsCommand,
      GetObjectCommand,
      HeadObjectCommand,
      ListObjectsV2Command,
      PutObjectCommand,
      S3Client,
    },
    { Upload },
  ] = await Promise.all([import("@aws-sdk/client-s3"), import("@aws-sdk/lib-storage")]);
  return {
    CopyObjectCommand,
    DeleteObjectsCommand,
    ListObjectsV2Command,
    DeleteObjectCommand,
    GetObjectCommand,
    HeadObjectCommand,
    PutObjectCommand,
    S3Client,
    Upload,
  };
}

type S3Sdk = Awaited<ReturnType<typeof loadS3Sdk>>;

/** Random access to a stored object's bytes (the shape @veoq/video-check reads videos from). */
export interface StoredObjectBytes {
  size: number;
  /** Up to `length` bytes from `position`, by a ranged GET. */
  read(position: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

/** Where a stream of bytes goes (same shape as @veoq/provider-client's DownloadSink). */
export interface ObjectSink {
  write(chunk: Buffer): Promise<void>;
  commit(): Promise<void>;
  discard(): Promise<void>;
}

export interface S3ObjectStoreOptions {
  bucket: string;
  /** Key prefix without leading or trailing slash; may be "". */
  prefix: string;
  /** S3-compatible endpoint (AWS_ENDPOINT_URL); unset for AWS S3. */
  endpoint: string | undefined;
  region: string;
  /** Unset: the AWS SDK's default credential chain (instance role, profile). */
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  /** Address the bucket as <endpoint>/<bucket> (servers addressed by IP or localhost). */
  forcePathStyle: boolean;
  /** Multipart part size in bytes (S3's minimum, 5 MiB, by default); memory held per upload is about twice this. */
  partSize?: number;
}

/** Largest input object read back into memory (the provider's own request limit is far lower). */
export const MAX_INPUT_OBJECT_BYTES = 64 * 1024 * 1024;

/** Raised when a store URI is not one this store can read (other bucket, not s3://, too big). */
export class ObjectStoreError extends Error {
  override name = "ObjectStoreError";
}

/**
 * One bucket and prefix of an S3-compatible store: outputs stream in as multipart uploads
 * (nothing whole on disk or in memory; an upload that fails is aborted so no parts are left
 * behind, where the server implements AbortMultipartUpload), and input images are stored once,
 * content-addressed.
 */
export class S3ObjectStore {
  readonly bucket: string;
  readonly prefix: string;
  /** The SDK and the client, once loaded (see loadS3Sdk). */
  readonly #sdk: Promise<{ sdk: S3Sdk; client: S3Client }>;
  readonly #partSize: number;

  constructor(options: S3ObjectStoreOptions) {
    this.bucket = options.bucket;
    this.prefix = options.prefix;
    this.#partSize = options.partSize ?? 5 * 1024 * 1024;
    const config: S3ClientConfig = {
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
      ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    };
    this.#sdk = loadS3Sdk().then((sdk) => ({ sdk, client: new sdk.S3Client(config) }));
    // A failed load is reported by the first call that needs the SDK.
    this.#sdk.catch(() => undefined);
  }

  /** The object key of a path under the prefix. */
  keyOf(relative: string): string {
    return this.prefix === "" ? relative : `${this.prefix}/${relative}`;
  }

  /** `s3://bucket/key` of a path under the prefix. */
  uriOf(relative: string): string {
    return `s3://${this.bucket}/${this.keyOf(relative)}`;
  }

  /**
   * A sink that streams into a multipart upload of `relative` (replacing what is there, so a
   * retry overwrites the same key). Nothing is visible under the key until commit; discard
   * aborts the upload.
   */
  openUpload(relative: string, contentType: string | undefined): ObjectSink {
    const body = new PassThrough({ highWaterMark: 1024 * 1024 });
    const upload = this.#sdk.then(
      ({ sdk, client }) =>
        new sdk.Upload({
          client,
          params: {
            Bucket: this.bucket,
            Key: this.keyOf(relative),
            Body: body,
            ...(contentType === undefined ? {} : { ContentType: contentType }),
          },
          partSize: this.#partSize,
          queueSize: 1,
          leavePartsOnError: false,
        }),
    );
    const done = upload.then((started) => started.done());
    let failure: unknown;
    done.catch((error: unknown) => {
      failure = error;
      body.destroy();
    });
    let discarded = false;
    return {
      write: async (chunk) => {
        if (failure !== undefined) throw failure;
        if (body.write(chunk)) return;
        // Wait for the upload to take more, or for it to fail (then it stops reading).
        await new Promise<void>((resolve, reject) => {
          const onDrain = () => {
            body.off("close", onClose);
            resolve();
          };
          const onClose = () => {
            body.off("drain", onDrain);
            reject(failure ?? new Error("the upload stopped taking bytes"));
          };
          body.once("drain", onDrain);
          body.once("close", onClose);
        });
      },
      commit: async () => {
        body.end();
        await done;
      },
      discard: async () => {
        if (discarded) return;
        discarded = true;
        body.destroy();
        await upload.then((started) => started.abort()).catch(() => undefined);
        await done.catch(() => undefined);
      },
    };
  }

  /** Stores bytes under `relative` unless an object is there already; returns its URI. */
  async putIfAbsent(relative: string, bytes: Buffer, contentType: string): Promise<string> {
    const key = this.keyOf(relative);
    const { sdk, client } = await this.#sdk;
    const exists = await client
      .send(new sdk.HeadObjectCommand({ Bucket: this.bucket, Key: key }))
      .then(
        () => true,
        (error: { name?: string; $metadata?: { httpStatusCode?: number } }) => {
          if (error.name === "NotFound" || error.$metadata?.httpStatusCode === 404) return false;
          throw error;
        },
      );
    if (!exists) {
      await client.send(
        new sdk.PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: bytes,
          ContentType: contentType,
        }),
      );
    }
    return `s3://${this.bucket}/${key}`;
  }

  /** Reads an object of this bucket by its `s3://` URI, at most MAX_INPUT_OBJECT_BYTES. */
  async read(uri: string): Promise<Buffer> {
    const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
    if (match === null || match[1] !== this.bucket) {
      throw new ObjectStoreError(`${uri} is not an object of bucket ${this.bucket}`);
    }
    const { sdk, client } = await this.#sdk;
    const answer = await client.send(
      new sdk.GetObjectCommand({ Bucket: this.bucket, Key: match[2] }),
    );
    if ((answer.ContentLength ?? 0) > MAX_INPUT_OBJECT_BYTES) {
      throw new ObjectStoreError(`${uri} is larger than ${MAX_INPUT_OBJECT_BYTES} bytes`);
    }
    const bytes = await answer.Body?.transformToByteArray();
    if (bytes === undefined) throw new ObjectStoreError(`${uri} has no body`);
    return Buffer.from(bytes);
  }

  /**
   * The object under `relative`, read by ranges (a HEAD for its size, then one ranged GET per
   * read): how an uploaded output is checked without keeping a copy.
   */
  async openRead(relative: string): Promise<StoredObjectBytes> {
    const key = this.keyOf(relative);
    const { sdk, client } = await this.#sdk;
    const head = await client.send(new sdk.HeadObjectCommand({ Bucket: this.bucket, Key: key }));
    const size = head.ContentLength ?? 0;
    return {
      size,
      read: async (position, length) => {
        const end = Math.min(size, position + length) - 1;
        if (end < position) return Buffer.alloc(0);
        const answer = await client.send(
          new sdk.GetObjectCommand({
            Bucket: this.bucket,
            Key: key,
            Range: `bytes=${position}-${end}`,
          }),
        );
        const bytes = await answer.Body?.transformToByteArray();
        return Buffer.from(bytes ?? []);
      },
      close: async () => {},
    };
  }

  /**
   * Writes a tiny marker object (`.veoq-access-check` under the prefix): resolves when the store
   * takes writes with these credentials, rejects as the store refuses them. What a worker asks
   * while downloads are stopped by a credentials refusal, to resume by itself.
   */
  async checkWriteAccess(): Promise<void> {
    const { sdk, client } = await this.#sdk;
    await client.send(
      new sdk.PutObjectCommand({
        Bucket: this.bucket,
        Key: this.keyOf(".veoq-access-check"),
        Body: "",
      }),
    );
  }

  /** Deletes the object under `relative` (no error when there is none). */
  async delete(relative: string): Promise<void> {
    const { sdk, client } = await this.#sdk;
    await client.send(
      new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: this.keyOf(relative) }),
    );
  }

  /**
   * Copies the object under `fromRelative` to `toRelative` inside the store (a server-side
   * CopyObject: no byte passes through this process). False when there is no object to copy.
   */
  async copy(fromRelative: string, toRelative: string): Promise<boolean> {
    const { sdk, client } = await this.#sdk;
    try {
      await client.send(
        new sdk.CopyObjectCommand({
          Bucket: this.bucket,
          Key: this.keyOf(toRelative),
          CopySource: `${this.bucket}/${this.keyOf(fromRelative)
            .split("/")
            .map(encodeURIComponent)
            .join("/")}`,
        }),
      );
      return true;
    } catch (error) {
      if (isMissingObject(error)) return false;
      throw error;
    }
  }

  /**
   * Deletes every object whose path starts with `relativeFolder` + "/" (a batch's outputs), a
   * listed page (up to 1000) at a time; returns how many were deleted.
   */
  async deleteFolder(relativeFolder: string): Promise<number> {
    const { sdk, client } = await this.#sdk;
    const prefix = `${this.keyOf(relativeFolder)}/`;
    let deleted = 0;
    let token: string | undefined;
    do {
      const page = await client.send(
        new sdk.ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          ...(token === undefined ? {} : { ContinuationToken: token }),
        }),
      );
      const keys = (page.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [o.Key]));
      if (keys.length > 0) {
        await client.send(
          new sdk.DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
          }),
        );
        deleted += keys.length;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return deleted;
  }

  /**
   * A presigned GET URL of an object of this bucket (by its `s3://` URI), valid for
   * `expiresInSeconds`: the HTTP API redirects a file download there. The presigner is loaded
   * on first use, so processes that never presign do not load it.
   */
  async presignedGetUrl(uri: string, expiresInSeconds: number): Promise<string> {
    const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
    if (match === null || match[1] !== this.bucket) {
      throw new ObjectStoreError(`${uri} is not an object of bucket ${this.bucket}`);
    }
    const [{ sdk, client }, { getSignedUrl }] = await Promise.all([
      this.#sdk,
      import("@aws-sdk/s3-request-presigner"),
    ]);
    return getSignedUrl(client, new sdk.GetObjectCommand({ Bucket: this.bucket, Key: match[2] }), {
      expiresIn: expiresInSeconds,
    });
  }

  close(): void {
    void this.#sdk.then(
      ({ client }) => client.destroy(),
      () => undefined,
    );
  }
}

/** An S3 answer that says the object (or the copy's source) does not exist. */
function isMissingObject(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return error.name === "NoSuchKey" || error.name === "NotFound" || status === 404;
}
