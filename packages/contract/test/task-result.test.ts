import { describe, expect, it } from "vitest";
import {
  MAX_OUTPUT_URL_CHARS,
  MAX_TASK_ID_CHARS,
  parseCreateResponse,
  parseTaskResult,
  taskResultResponseSchema,
} from "../src/index.ts";

describe("parseTaskResult", () => {
  it("parses the documented shape", () => {
    const result = parseTaskResult({
      task: {
        task_id: "t-1",
        task_type: "VEO_IMG2VIDEO",
        status: "TASK_STATUS_SUCCEED",
        reason: "",
        eta: 0,
        progress_percent: 100,
      },
      videos: [
        { video_url: "https://cdn/a.mp4", video_url_ttl: "3600", video_type: "mp4" },
        { video_url: "https://cdn/b.mp4", video_url_ttl: 1800, video_type: "mp4" },
      ],
      images: [{ image_url: "https://cdn/a.png", image_url_ttl: 3600, image_type: "png" }],
      audios: [{ audio_url: "https://cdn/a.wav", audio_url_ttl: "3600", audio_type: "wav" }],
      extra: { seed: "1", debug_info: { submit_time_ms: "1" } },
    });
    expect(result).toEqual({
      ok: true,
      value: {
        taskId: "t-1",
        status: "SUCCEED",
        rawStatus: "TASK_STATUS_SUCCEED",
        reason: undefined,
        etaSeconds: 0,
        progressPercent: 100,
        videos: [
          { url: "https://cdn/a.mp4", ttlSeconds: 3600, type: "mp4" },
          { url: "https://cdn/b.mp4", ttlSeconds: 1800, type: "mp4" },
        ],
        images: [{ url: "https://cdn/a.png", ttlSeconds: 3600, type: "png" }],
        audios: [{ url: "https://cdn/a.wav", ttlSeconds: 3600, type: "wav" }],
        providerDurationMs: undefined,
      },
    });
  });

  it.each([
    ["TASK_STATUS_QUEUED", "QUEUED"],
    ["TASK_STATUS_PROCESSING", "PROCESSING"],
    ["TASK_STATUS_SUCCEED", "SUCCEED"],
    ["TASK_STATUS_FAILED", "FAILED"],
    ["FAILED", "FAILED"],
    ["TASK_STATUS_CANCELLED", "UNKNOWN"],
    ["", "UNKNOWN"],
  ])("maps status %j to %s and keeps the raw status", (raw, status) => {
    const result = parseTaskResult({ task: { status: raw } });
    expect(result.ok && result.value.status).toBe(status);
    expect(result.ok && result.value.rawStatus).toBe(raw);
  });

  it("tolerates a missing status, missing arrays and unknown fields", () => {
    const result = parseTaskResult({ task: { task_id: "t", shiny: true }, new_field: [1] });
    expect(result).toEqual({
      ok: true,
      value: {
        taskId: "t",
        status: "UNKNOWN",
        rawStatus: undefined,
        reason: undefined,
        etaSeconds: undefined,
        progressPercent: undefined,
        videos: [],
        images: [],
        audios: [],
        providerDurationMs: undefined,
      },
    });
  });

  it("reads the provider's own render time from debug_info when both timestamps are there", () => {
    const done = parseTaskResult({
      task: { status: "TASK_STATUS_SUCCEED" },
      extra: { debug_info: { submit_time_ms: "1000", complete_time_ms: 62_500 } },
    });
    expect(done.ok && done.value.providerDurationMs).toBe(61_500);
    for (const debugInfo of [
      { submit_time_ms: "1000" },
      { submit_time_ms: "2000", complete_time_ms: "1000" },
      { submit_time_ms: "x", complete_time_ms: "1000" },
      "junk",
    ]) {
      const result = parseTaskResult({ task: {}, extra: { debug_info: debugInfo } });
      expect(result.ok && result.value.providerDurationMs).toBeUndefined();
    }
    const junkExtra = parseTaskResult({ task: { task_id: "t" }, extra: 7 });
    expect(junkExtra.ok && junkExtra.value.taskId).toBe("t");
  });

  it("reads eta and progress given as strings of numbers, drops garbage", () => {
    const ok = parseTaskResult({ task: { eta: "42", progress_percent: "37.5" } });
    expect(ok.ok && [ok.value.etaSeconds, ok.value.progressPercent]).toEqual([42, 37.5]);
    const garbage = parseTaskResult({ task: { eta: "soon", progress_percent: { p: 1 } } });
    expect(garbage.ok && [garbage.value.etaSeconds, garbage.value.progressPercent]).toEqual([
      undefined,
      undefined,
    ]);
  });

  it("keeps the failure reason", () => {
    const result = parseTaskResult({
      task: { status: "TASK_STATUS_FAILED", reason: "content policy" },
    });
    expect(result.ok && result.value.reason).toBe("content policy");
  });

  it("drops entries without a url and tolerates bad ttl, null arrays and non-array lists", () => {
    const result = parseTaskResult({
      task: { status: "TASK_STATUS_SUCCEED" },
      videos: [
        { video_url_ttl: "3600" },
        { video_url: "" },
        "junk",
        null,
        { video_url: "https://cdn/v.mp4", video_url_ttl: "soon", extra: 1 },
      ],
      images: null,
      audios: { audio_url: "https://cdn/a.wav" },
    });
    expect(result.ok && result.value.videos).toEqual([
      { url: "https://cdn/v.mp4", ttlSeconds: undefined, type: undefined },
    ]);
    expect(result.ok && result.value.images).toEqual([]);
    expect(result.ok && result.value.audios).toEqual([]);
  });

  it.each([[null], ["text"], [[]], [{}], [{ task: "queued" }], [{ task: null }]])(
    "fails without a task object (%j)",
    (json) => {
      const result = parseTaskResult(json);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.issues.length).toBeGreaterThan(0);
    },
  );

  it("the schema itself accepts ttl as string or number", () => {
    expect(
      taskResultResponseSchema.safeParse({
        task: {},
        videos: [
          { video_url: "u", video_url_ttl: "60" },
          { video_url: "u", video_url_ttl: 60 },
        ],
      }).success,
    ).toBe(true);
  });
});

describe("provider strings are bounded at the boundary", () => {
  it("drops an over-long task id, status and output URL from a task result", () => {
    const result = parseTaskResult({
      task: { task_id: "t".repeat(MAX_TASK_ID_CHARS + 1), status: `TASK_STATUS_${"X".repeat(80)}` },
      videos: [
        { video_url: `https://cdn/${"a".repeat(MAX_OUTPUT_URL_CHARS)}.mp4` },
        { video_url: "https://cdn/ok.mp4" },
      ],
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.taskId).toBeUndefined();
    expect(result.value.rawStatus).toBeUndefined();
    expect(result.value.status).toBe("UNKNOWN");
    expect(result.value.videos.map((video) => video.url)).toEqual(["https://cdn/ok.mp4"]);
  });

  it("refuses a create response whose task id is over-long or holds control characters", () => {
    for (const taskId of ["t".repeat(MAX_TASK_ID_CHARS + 1), "t-1\u001b]0;x\u0007"]) {
      const result = parseCreateResponse({ task_id: taskId });
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.issues[0]?.path).toBe("task_id");
      expect(result.issues[0]?.message).toContain(`at most ${MAX_TASK_ID_CHARS}`);
    }
    expect(parseCreateResponse({ task_id: "t".repeat(MAX_TASK_ID_CHARS) }).ok).toBe(true);
  });
});

describe("parseCreateResponse", () => {
  it("accepts a non-empty task_id and ignores other fields", () => {
    expect(parseCreateResponse({ task_id: "abc", other: 1 })).toEqual({
      ok: true,
      value: { taskId: "abc" },
    });
  });

  it.each([[{}], [{ task_id: "" }], [{ task_id: 42 }], [null], ["abc"], [[]]])(
    "rejects %j",
    (json) => {
      const result = parseCreateResponse(json);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.issues[0]?.message).toMatch(/^[a-z]/);
    },
  );
});
