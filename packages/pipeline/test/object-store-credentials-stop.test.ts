import { mkdtempSync, rmSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { type LocalS3, startLocalS3 } from "@veoq/local-s3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  batchResults,
  credentialsStopReason,
  downloadsStopReason,
  resumeSubmissions,
} from "../src/index.ts";
import { collect, createHarness, type Harness, img2videoLine } from "./pipeline-harness.ts";

/**
 * The bucket refuses the credentials mid-batch (s3rver behind a small proxy that answers
 * 403 InvalidAccessKeyId while `refusing`): downloads stop the way a provider 401/402 stops
 * submissions (queue paused, reason recorded, no item failed), and resume with `veoq resume` or
 * by themselves once the store takes writes again.
 */
interface RefusingProxy {
  url: string;
  refusing: boolean;
  refused: number;
  close(): Promise<void>;
}

async function startRefusingProxy(target: number): Promise<RefusingProxy> {
  const state = { refusing: false, refused: 0 };
  const server: Server = createServer((req, res) => {
    if (state.refusing) {
      state.refused++;
      req.resume();
      res.writeHead(403, { "content-type": "application/xml" });
      res.end(
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidAccessKeyId</Code><Message>The AWS Access Key Id you provided does not exist in our records.</Message></Error>',
      );
      return;
    }
    // Forwarded as it is (the Host header too, so the signature still checks out).
    const upstream = request(
      { host: "127.0.0.1", port: target, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get refusing() {
      return state.refusing;
    },
    set refusing(value: boolean) {
      state.refusing = value;
    },
    get refused() {
      return state.refused;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Renders of 3-5 s (at the harness's time scale): time to refuse between submit and download. */
const SLOW_RENDERS = {
  "veo-3.1-generate-img2video": { minSeconds: 300, maxSeconds: 500 },
  "veo-3.1-lite-firstlastframe": { minSeconds: 300, maxSeconds: 500 },
};

const dir = mkdtempSync(path.join(tmpdir(), "veoq-s3-credentials-"));
let s3: LocalS3;
let proxy: RefusingProxy;
beforeAll(async () => {
  s3 = await startLocalS3({ dataDir: dir, buckets: ["veoq-out"] });
  proxy = await startRefusingProxy(s3.port);
});
afterAll(async () => {
  await proxy?.close();
  await s3?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("the object store refuses the credentials mid-batch", () => {
  let h: Harness;
  afterEach(async () => {
    proxy.refusing = false;
    await h?.close();
  });

  const ITEMS = ["a", "b", "c", "d", "e"];

  /**
   * Enqueues the batch and submits every item while the store accepts (inputs are stored at
   * enqueue and read back at submit), then refuses while the provider still renders (3-5 s).
   */
  async function startRefused(objectStoreCheckIntervalMs: number) {
    h = await createHarness({
      env: { ...s3.env, AWS_ENDPOINT_URL: proxy.url, VEOQ_OUTPUT_URL: "s3://veoq-out/stop" },
      simulator: { durations: SLOW_RENDERS },
    });
    await h.enqueue(await h.writeManifest(ITEMS.map((id) => img2videoLine(id))));
    await h.start({ objectStoreCheckIntervalMs });
    await h.waitFor(async () => {
      const counts = await h.queues.poll.getJobCounts("waiting", "delayed", "active");
      return (counts.waiting ?? 0) + (counts.delayed ?? 0) + (counts.active ?? 0) === ITEMS.length;
    }, "every item submitted");
    expect(await h.queues.download.count()).toBe(0);
    proxy.refusing = true;
    // Every item reaches the download stage and waits there; none fails.
    await h.waitFor(
      async () => (await downloadsStopReason(h.store)) !== undefined,
      "the downloads stop",
    );
    await h.waitFor(async () => {
      // Download jobs wait as prioritized (fair share), paused or not.
      const counts = await h.queues.download.getJobCounts("prioritized", "waiting", "active");
      return (
        (counts.prioritized ?? 0) + (counts.waiting ?? 0) === ITEMS.length && counts.active === 0
      );
    }, "every item waiting in the stopped download queue");
    expect(await h.queues.download.isPaused()).toBe(true);
    expect(await downloadsStopReason(h.store)).toMatch(/^object store: InvalidAccessKeyId/);
    const batch = await h.store.getBatch("b1");
    expect(batch?.counts.failed).toBe(0);
    expect(batch?.counts.completed).toBe(0);
  }

  async function expectAllCompleted() {
    await h.waitForBatch("b1");
    const lines = await collect(batchResults(h.store, "b1"));
    expect(lines.map((l) => l.status)).toEqual(ITEMS.map(() => "completed"));
    expect(await downloadsStopReason(h.store)).toBeUndefined();
  }

  it("stops downloads without failing an item; `veoq resume` resumes them", async () => {
    await startRefused(60_000);
    proxy.refusing = false;
    expect(await resumeSubmissions(h.store, h.queues)).toBe(true);
    await expectAllCompleted();
  }, 60_000);

  it("resumes by itself once the store takes writes again", async () => {
    await startRefused(300);
    const refusedSoFar = proxy.refused;
    // The workers keep checking (and are refused) while the store still refuses.
    await h.waitFor(async () => proxy.refused > refusedSoFar, "a refused access check");
    expect(await downloadsStopReason(h.store)).toBeDefined();
    proxy.refusing = false;
    await expectAllCompleted();
  }, 60_000);

  it("stops submissions when the bucket refuses to give back an input image, and resumes by itself", async () => {
    h = await createHarness({
      env: { ...s3.env, AWS_ENDPOINT_URL: proxy.url, VEOQ_OUTPUT_URL: "s3://veoq-out/inputs" },
    });
    // The inputs are stored while the store accepts; the workers meet the refusal at submit.
    await h.enqueue(await h.writeManifest(ITEMS.map((id) => img2videoLine(id))));
    proxy.refusing = true;
    await h.start({ objectStoreCheckIntervalMs: 300 });
    await h.waitFor(
      async () => (await credentialsStopReason(h.store)) !== undefined,
      "the submissions stop",
    );
    expect(await credentialsStopReason(h.store)).toMatch(/^object store: InvalidAccessKeyId/);
    expect(await h.queues.submit.isPaused()).toBe(true);
    const batch = await h.store.getBatch("b1");
    expect(batch?.counts.failed).toBe(0);
    expect(h.simulator.stats().creates.accepted).toBe(0);
    proxy.refusing = false;
    await expectAllCompleted();
    expect(await credentialsStopReason(h.store)).toBeUndefined();
  }, 60_000);
});
