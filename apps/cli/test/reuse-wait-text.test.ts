import { overviewOf } from "@veoq/pipeline";
import { toBatchJson } from "@veoq/report";
import { describe, expect, it } from "vitest";
import { formatBatch } from "../src/batch-text.ts";

const createdAt = Date.UTC(2026, 0, 1, 12, 0, 0);
const waiting = {
  id: "waiter",
  createdAt,
  source: "shots.jsonl",
  total: 4,
  counts: { queued: 4, processing: 0, downloading: 0, completed: 0, failed: 0, cancelled: 0 },
  possibleDuplicates: 0,
  resubmits: 0,
  flaggedFiles: 0,
  reused: 0,
  finishedAt: undefined,
  reuseWait: { ownerBatchId: "owner", reason: "user", at: createdAt + 1_000 },
};

describe("veoq status: why a batch waits on another batch's renders", () => {
  it("names the paused owner batch, its pause reason and the command that lets both go on", () => {
    const json = toBatchJson(overviewOf(waiting, createdAt + 60_000));
    expect(json.reuse_wait).toEqual({
      batch_id: "owner",
      reason: "user",
      since: "2026-01-01T12:00:01.000Z",
    });
    const lines = formatBatch(json, { width: 160 });
    expect(lines).toContain(
      "  !! WAITING for batch owner (paused: user), which renders the same requests: `veoq resume owner` lets both go on",
    );
  });

  it("says nothing of it once no item is queued", () => {
    const done = { ...waiting, counts: { ...waiting.counts, queued: 0, completed: 4 } };
    const lines = formatBatch(toBatchJson(overviewOf(done, createdAt + 60_000)), { width: 160 });
    expect(lines.join("\n")).not.toContain("WAITING");
  });
});
