import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createProviderClient,
  isProviderError,
  type ProviderClient,
  type ProviderClientOptions,
  type ProviderRequestEvent,
} from "../src/index.ts";
import { providerErrorOf, rejectionOf, startTestServer, type TestServer } from "./test-server.ts";

const KEY = "sk-live-DOWNLOAD-SECRET-7";
const FILE = Buffer.from("\u0000\u0000\u0000\u0018ftypmp42 fake video bytes ".repeat(200));
const FILE_SHA256 = createHash("sha256").update(FILE).digest("hex");

let api: TestServer;
let cdn: TestServer;
let client: ProviderClient;
let dir: string;
let dest: string;
let events: ProviderRequestEvent[];

function makeClient(overrides: Partial<ProviderClientOptions> = {}): ProviderClient {
  return createProviderClient({
    baseUrl: api.url,
    apiKey: KEY,
    onRequest: (event) => events.push(event),
    ...overrides,
  });
}

function serveFile(server: TestServer, headers: Record<string, string> = {}): void {
  server.handle((_req, res) => {
    res.writeHead(200, {
      "content-type": "video/mp4",
      "content-length": String(FILE.length),
      ...headers,
    });
    res.end(FILE);
  });
}

async function waitUntil(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
}

beforeEach(async () => {
  events = [];
  api = await startTestServer();
  cdn = await startTestServer(); // another port: another origin
  client = makeClient();
  dir = await mkdtemp(join(tmpdir(), "veoq-provider-client-"));
  dest = join(dir, "out.mp4.part");
});

afterEach(async () => {
  await client.close();
  await api.close();
  await cdn.close();
  await rm(dir, { recursive: true, force: true });
});

describe("downloadFile", () => {
  it("streams the file to disk and hashes it", async () => {
    serveFile(cdn);
    const result = await client.downloadFile(`${cdn.url}/files/v.mp4?sig=abc`, dest);
    expect(result).toEqual({ bytes: FILE.length, sha256: FILE_SHA256, contentType: "video/mp4" });
    expect(await readFile(dest)).toEqual(FILE);
    expect(cdn.requests[0]?.url).toBe("/files/v.mp4?sig=abc");
    expect(events).toEqual([
      expect.objectContaining({
        operation: "download",
        endpoint: "file",
        status: 200,
        errorKind: undefined,
      }),
    ]);
  });

  it("truncates an existing destination file", async () => {
    await writeFile(dest, Buffer.alloc(FILE.length * 2, 1));
    serveFile(cdn);
    await client.downloadFile(`${cdn.url}/v.mp4`, dest);
    expect(await readFile(dest)).toEqual(FILE);
  });

  it("accepts a file without Content-Length (chunked)", async () => {
    cdn.handle((_req, res) => {
      res.writeHead(200, { "content-type": "video/mp4" });
      res.write(FILE.subarray(0, 100));
      res.end(FILE.subarray(100));
    });
    const result = await client.downloadFile(`${cdn.url}/v.mp4`, dest, {
      expectedBytes: FILE.length,
    });
    expect(result.sha256).toBe(FILE_SHA256);
  });

  it("sends no Authorization header to another origin", async () => {
    serveFile(cdn);
    await client.downloadFile(`${cdn.url}/v.mp4`, dest);
    expect(cdn.requests[0]?.headers.authorization).toBeUndefined();
  });

  it("sends the Authorization header to the API's own origin", async () => {
    serveFile(api);
    await client.downloadFile(`${api.url}/files/v.mp4`, dest);
    expect(api.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it("follows a redirect to another origin, dropping the Authorization header", async () => {
    api.handle((_req, res) => {
      res.writeHead(302, { location: `${cdn.url}/moved.mp4`, "content-length": "0" });
      res.end();
    });
    serveFile(cdn);
    const result = await client.downloadFile(`${api.url}/files/v.mp4`, dest);
    expect(result.sha256).toBe(FILE_SHA256);
    expect(api.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(cdn.requests[0]?.url).toBe("/moved.mp4");
    expect(cdn.requests[0]?.headers.authorization).toBeUndefined();
  });

  it.each([
    "ftp://example.com/v.mp4",
    "file:///etc/passwd",
    "data:video/mp4;base64,AAAA",
    "not a url",
    "/relative/v.mp4",
  ])("refuses the non-http URL %s without a request", async (url) => {
    const error = await providerErrorOf(client.downloadFile(url, dest));
    expect(error).toMatchObject({
      kind: "invalid_request",
      operation: "download",
      status: undefined,
    });
    expect(existsSync(dest)).toBe(false);
    expect(cdn.requests).toHaveLength(0);
  });

  it.each([401, 403, 404, 410])(
    "reports HTTP %i from a file URL as url_expired",
    async (status) => {
      cdn.handle((_req, res) => {
        res.writeHead(status, { "content-type": "application/xml" });
        res.end("<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>");
      });
      const error = await providerErrorOf(client.downloadFile(`${cdn.url}/v.mp4`, dest));
      expect(error).toMatchObject({ kind: "url_expired", status, operation: "download" });
      expect(existsSync(dest)).toBe(false);
      expect(events[0]).toMatchObject({ status, errorKind: "url_expired" });
    },
  );

  it("reports 5xx as transient and 429 as rate_limited", async () => {
    cdn.handle((_req, res) => {
      res.writeHead(503, { "retry-after": "4" });
      res.end("busy");
    });
    expect(await providerErrorOf(client.downloadFile(`${cdn.url}/v.mp4`, dest))).toMatchObject({
      kind: "transient",
      status: 503,
      retryAfterMs: 4000,
    });
    cdn.handle((_req, res) => {
      res.writeHead(429, { "retry-after": "3" });
      res.end("slow down");
    });
    expect(await providerErrorOf(client.downloadFile(`${cdn.url}/v.mp4`, dest))).toMatchObject({
      kind: "rate_limited",
      retryAfterMs: 3000,
      limitScope: "rate",
    });
  });

  it("reports a file URL answering text/html as malformed_response", async () => {
    cdn.handle((_req, res) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end("<html><body>Please log in</body></html>");
    });
    const error = await providerErrorOf(client.downloadFile(`${cdn.url}/v.mp4`, dest));
    expect(error).toMatchObject({ kind: "malformed_response", status: 200 });
    expect(existsSync(dest)).toBe(false);
  });

  it("is transient when the stream breaks mid-download, and removes the partial file", async () => {
    cdn.handle((_req, res) => {
      res.writeHead(200, { "content-type": "video/mp4", "content-length": String(FILE.length) });
      res.write(FILE.subarray(0, 1000), () => setTimeout(() => res.socket?.destroy(), 20));
    });
    const error = await providerErrorOf(client.downloadFile(`${cdn.url}/v.mp4`, dest));
    expect(error.kind).toBe("transient");
    expect(existsSync(dest)).toBe(false);
  });

  it("is transient when the body stalls past the download body timeout", async () => {
    await client.close();
    client = makeClient({ downloadBodyTimeoutMs: 100 });
    cdn.handle((_req, res) => {
      res.writeHead(200, { "content-type": "video/mp4", "content-length": String(FILE.length) });
      res.write(FILE.subarray(0, 1000));
    });
    const error = await providerErrorOf(client.downloadFile(`${cdn.url}/v.mp4`, dest));
    expect(error.kind).toBe("transient");
    expect(error.message).toContain("UND_ERR_BODY_TIMEOUT");
    expect(existsSync(dest)).toBe(false);
  });

  it("is transient when the byte count differs from expectedBytes", async () => {
    serveFile(cdn);
    const error = await providerErrorOf(
      client.downloadFile(`${cdn.url}/v.mp4`, dest, { expectedBytes: FILE.length + 1 }),
    );
    expect(error.kind).toBe("transient");
    expect(error.message).toContain(`received ${FILE.length} bytes`);
    expect(existsSync(dest)).toBe(false);
  });

  it("is transient when the connection is refused", async () => {
    const url = `${cdn.url}/v.mp4`;
    await cdn.close();
    const error = await providerErrorOf(client.downloadFile(url, dest));
    expect(error.kind).toBe("transient");
  });

  it("rethrows a local write failure as it is", async () => {
    serveFile(cdn);
    const error = await rejectionOf(
      client.downloadFile(`${cdn.url}/v.mp4`, join(dir, "missing-dir", "out.mp4")),
    );
    expect(isProviderError(error)).toBe(false);
    expect((error as NodeJS.ErrnoException).code).toBe("ENOENT");
  });

  it("rethrows the caller's abort reason and removes the partial file", async () => {
    const controller = new AbortController();
    const reason = new Error("stop");
    cdn.handle((_req, res) => {
      res.writeHead(200, { "content-type": "video/mp4", "content-length": String(FILE.length) });
      res.write(FILE.subarray(0, 1000), () => setTimeout(() => controller.abort(reason), 20));
    });
    const error = await rejectionOf(
      client.downloadFile(`${cdn.url}/v.mp4`, dest, { signal: controller.signal }),
    );
    expect(error).toBe(reason);
    expect(existsSync(dest)).toBe(false);
  });

  it("sends no Authorization header when a foreign file URL redirects to the API origin", async () => {
    cdn.handle((_req, res) => {
      res.writeHead(302, { location: `${api.url}/files/v.mp4`, "content-length": "0" });
      res.end();
    });
    serveFile(api);
    await client.downloadFile(`${cdn.url}/v.mp4`, dest);
    expect(api.requests[0]?.headers.authorization).toBeUndefined();
  });

  it.each(["file:///etc/passwd", "ftp://example.com/v.mp4", "gopher://example.com/v"])(
    "refuses a redirect to %s as invalid_request (permanent)",
    async (location) => {
      cdn.handle((_req, res) => {
        res.writeHead(302, { location, "content-length": "0" });
        res.end();
      });
      const error = await providerErrorOf(client.downloadFile(`${cdn.url}/v.mp4`, dest));
      expect(error).toMatchObject({ kind: "invalid_request", operation: "download", status: 302 });
      expect(error.message).toContain(`a ${new URL(location).protocol} URL`);
      expect(existsSync(dest)).toBe(false);
      expect(events).toEqual([
        expect.objectContaining({ status: 302, errorKind: "invalid_request" }),
      ]);
    },
  );

  it("refuses a Content-Length over maxDownloadBytes before reading the body", async () => {
    await client.close();
    client = makeClient({ maxDownloadBytes: 1000 });
    cdn.handle((_req, res) => {
      // Ten gigabytes announced, a hundred bytes sent, never finished: reading it would stall.
      res.writeHead(200, {
        "content-type": "video/mp4",
        "content-length": String(10 * 1024 ** 3),
      });
      res.write(FILE.subarray(0, 100));
    });
    const error = await providerErrorOf(client.downloadFile(`${cdn.url}/v.mp4`, dest));
    expect(error).toMatchObject({ kind: "invalid_request", status: 200 });
    expect(error.message).toContain(
      "over the download cap of 1000 bytes (VEOQ_MAX_DOWNLOAD_BYTES)",
    );
    expect(existsSync(dest)).toBe(false);
  });

  it("aborts a body that grows past maxDownloadBytes and leaves no partial file", async () => {
    await client.close();
    client = makeClient({ maxDownloadBytes: 1000 });
    let closed = false;
    cdn.handle((_req, res) => {
      res.writeHead(200, { "content-type": "video/mp4" }); // chunked: no length to check first
      res.on("close", () => {
        closed = true;
      });
      const timer = setInterval(() => res.write(FILE.subarray(0, 400)), 5);
      res.on("close", () => clearInterval(timer));
    });
    const error = await providerErrorOf(client.downloadFile(`${cdn.url}/v.mp4`, dest));
    expect(error).toMatchObject({ kind: "invalid_request", status: 200 });
    expect(error.message).toContain("grew past the download cap of 1000 bytes");
    expect(existsSync(dest)).toBe(false);
    await waitUntil(() => closed);
  });

  it("refuses HTML served as application/octet-stream: no ftyp box, no file", async () => {
    const page = Buffer.from("<!DOCTYPE html><html><body>Access denied</body></html>");
    cdn.handle((_req, res) => {
      res.writeHead(200, {
        "content-type": "application/octet-stream",
        "content-length": String(page.length),
      });
      res.end(page);
    });
    const error = await providerErrorOf(client.downloadFile(`${cdn.url}/v.mp4`, dest));
    expect(error).toMatchObject({ kind: "invalid_request", status: 200 });
    expect(error.message).toContain("not an MP4");
    expect(error.message).toContain(page.subarray(0, 8).toString("hex"));
    expect(existsSync(dest)).toBe(false);
  });

  it("refuses an empty or too short body as not an MP4", async () => {
    for (const body of [Buffer.alloc(0), FILE.subarray(0, 6)]) {
      cdn.handle((_req, res) => {
        res.writeHead(200, { "content-type": "video/mp4", "content-length": String(body.length) });
        res.end(body);
      });
      const error = await providerErrorOf(client.downloadFile(`${cdn.url}/v.mp4`, dest));
      expect(error).toMatchObject({ kind: "invalid_request" });
      expect(error.message).toContain("not an MP4");
      expect(existsSync(dest)).toBe(false);
    }
  });

  it("accepts an MP4 whose ftyp box arrives split across chunks", async () => {
    cdn.handle((_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.write(FILE.subarray(0, 3), () =>
        setTimeout(() => res.write(FILE.subarray(3, 6), () => res.end(FILE.subarray(6))), 10),
      );
    });
    const result = await client.downloadFile(`${cdn.url}/v.mp4`, dest);
    expect(result.sha256).toBe(FILE_SHA256);
    expect(await readFile(dest)).toEqual(FILE);
  });

  it("keeps signed URL queries and the key out of error messages", async () => {
    api.handle((_req, res) => {
      res.writeHead(403);
      res.end(`forbidden for ${KEY}`);
    });
    const error = await providerErrorOf(
      client.downloadFile(`${api.url}/v.mp4?sig=SIGNATURE`, dest),
    );
    const everything = `${error.message} ${JSON.stringify(error)}`;
    expect(everything).not.toContain(KEY);
    expect(everything).not.toContain("SIGNATURE");
    expect(error.providerMessage).toBe("forbidden for [redacted]");
  });
});

describe("downloadTo", () => {
  function recordingSink() {
    const chunks: Buffer[] = [];
    const calls: string[] = [];
    return {
      chunks,
      calls,
      open: async () => ({
        write: async (chunk: Buffer) => {
          chunks.push(chunk);
        },
        commit: async () => {
          calls.push("commit");
        },
        discard: async () => {
          calls.push("discard");
        },
      }),
    };
  }

  it("streams every byte into the sink and commits once, after the checks", async () => {
    serveFile(cdn);
    const sink = recordingSink();
    const result = await client.downloadTo(`${cdn.url}/v.mp4`, sink.open);
    expect(Buffer.concat(sink.chunks).equals(FILE)).toBe(true);
    expect(sink.calls).toEqual(["commit"]);
    expect(result).toMatchObject({ bytes: FILE.length, sha256: FILE_SHA256 });
  });

  it("discards, never commits, a body shorter than promised", async () => {
    serveFile(cdn);
    const sink = recordingSink();
    const error = await providerErrorOf(
      client.downloadTo(`${cdn.url}/v.mp4`, sink.open, { expectedBytes: FILE.length + 1 }),
    );
    expect(error.kind).toBe("transient");
    expect(sink.calls).toEqual(["discard"]);
  });

  it("rethrows a sink's own failure as it is and discards", async () => {
    serveFile(cdn);
    const calls: string[] = [];
    const refused = new Error("bucket refused the part");
    const error = await rejectionOf(
      client.downloadTo(`${cdn.url}/v.mp4`, async () => ({
        write: async () => {
          throw refused;
        },
        commit: async () => {
          calls.push("commit");
        },
        discard: async () => {
          calls.push("discard");
        },
      })),
    );
    expect(error).toBe(refused);
    expect(isProviderError(error)).toBe(false);
    expect(calls).toEqual(["discard"]);
  });
});
