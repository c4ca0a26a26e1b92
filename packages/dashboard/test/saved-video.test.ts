import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderSavedVideo } from "../src/render-saved-video.ts";
import { basicAuth, listenOnRun, type SmallRun, startFinishedRun } from "./small-run.ts";

const AUTH = basicAuth("ops", "video-test-pass");
let run: SmallRun;
let dashboard: { url: string; close(): Promise<void> };

beforeAll(async () => {
  run = await startFinishedRun("videos");
  dashboard = await listenOnRun(run, {
    credentials: { user: "ops", password: "video-test-pass" },
  });
}, 60_000);

afterAll(async () => {
  await dashboard?.close();
  await run?.close();
});

describe("saved videos on the dashboard", () => {
  const videoPath = () => `/videos/${run.batchId}/ok-1/0`;

  it("serves a completed item's saved file behind the dashboard's auth, with Range support", async () => {
    expect((await fetch(`${dashboard.url}${videoPath()}`)).status).toBe(401);

    const result = await run.store.itemResult(run.batchId, "ok-1");
    const file = result?.files[0];
    if (!file) throw new Error("ok-1 has no saved file");
    const onDisk = await readFile(path.join(run.config.outputDir, file.path));

    const whole = await fetch(`${dashboard.url}${videoPath()}`, {
      headers: { authorization: AUTH },
    });
    expect(whole.status).toBe(200);
    expect(whole.headers.get("content-type")).toBe("video/mp4");
    expect(whole.headers.get("accept-ranges")).toBe("bytes");
    expect(Buffer.from(await whole.arrayBuffer()).equals(onDisk)).toBe(true);

    const part = await fetch(`${dashboard.url}${videoPath()}`, {
      headers: { authorization: AUTH, range: "bytes=100-199" },
    });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 100-199/${onDisk.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(onDisk.subarray(100, 200))).toBe(true);
  });

  it("serves only files a result names: a failed item, an unknown index or a path are 404", async () => {
    for (const url of [
      `/videos/${run.batchId}/bad-1/0`,
      `/videos/${run.batchId}/ok-1/3`,
      `/videos/${run.batchId}/ok-1/..%2F..%2Fetc%2Fpasswd`,
      `/videos/nope/ok-1/0`,
    ]) {
      const response = await fetch(`${dashboard.url}${url}`, { headers: { authorization: AUTH } });
      expect({ url, status: response.status }).toEqual({ url, status: 404 });
    }
  });

  it("the item and batch pages show each video with what it is; the JSON API has the facts", async () => {
    const item = await fetch(`${dashboard.url}/api/batches/${run.batchId}/items/ok-1`, {
      headers: { authorization: AUTH },
    });
    expect(await item.json()).toMatchObject({
      state: "completed",
      result: { files: [{ durationSeconds: 4, width: 1280, height: 720, audio: false }] },
    });
    const page = await (
      await fetch(`${dashboard.url}/batches/${run.batchId}`, { headers: { authorization: AUTH } })
    ).text();
    expect(page).toContain(`<video controls preload="metadata" src="${videoPath()}">`);
    expect(page).toContain("4 s · 1280×720");
  });
});

describe("renderSavedVideo", () => {
  it("flags a file VEOQ_VERIFY_OUTPUTS=warn kept, with what differed", () => {
    const html = renderSavedVideo("b", "shot-1", {
      index: 0,
      path: "b/shot-1/0.mp4",
      bytes: 10,
      sha256: "0".repeat(64),
      durationSeconds: 4,
      width: 1280,
      height: 720,
      codecs: ["avc1.640032"],
      audio: false,
      flagged: ["duration 4 s, asked 8 s", "no audio track, asked generate_audio"],
    });
    expect(html).toContain('class="video is-flagged"');
    expect(html).toContain(
      '<div class="flagged" data-flagged>⚠ duration 4 s, asked 8 s; no audio track, asked generate_audio</div>',
    );
  });
});
