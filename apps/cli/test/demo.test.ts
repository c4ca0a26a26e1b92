import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { batchJson, batchSpendJson } from "@veoq/report";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./run-cli.ts";

const dir = mkdtempSync(join(tmpdir(), "veoq-demo-test-"));
// The demo starts its own redis-server unless REDIS_URL is set.
const { REDIS_URL: _ignored, ...env } = process.env;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("veoq demo", () => {
  it("shows one planned failure with its reason and the retry flow, exits 0, and two demos at once share no Redis data", async () => {
    const [human, json] = await Promise.all([
      runCli(["demo", "--out", join(dir, "a")], { env, cwd: dir }),
      runCli(["demo", "--out", join(dir, "b"), "--json"], { env, cwd: dir }),
    ]);
    expect(human.code).toBe(0);
    expect(json.code).toBe(0);

    const out = human.stdout;
    expect(out).toMatch(/failed {5}1 item:/);
    expect(out).toMatch(/i2v-07 +task_failed +\S.*\(planned: \[sim:fail\] marker\)/);
    expect(out).toContain("expected   1 item failed on purpose");
    expect(out).toMatch(
      /next {7}1 failed: `veoq results demo-\S+ --status failed`, `veoq retry demo-\S+`/,
    );

    const summary = JSON.parse(json.stdout);
    expect(batchJson.parse(summary.batch)).toMatchObject({
      total: 13,
      finished: true,
      counts: { completed: 12, failed: 1 },
    });
    // The demo shows money: an estimate of what it enqueued, and spent split by kind of create.
    const spend = batchSpendJson.parse(summary.spend);
    expect(spend.estimate_tasks).toBe(13);
    expect(spend.estimate.amount).toBeGreaterThan(0);
    expect(spend.spent_by_kind.first_creates.creates).toBe(13);
    expect(out).toMatch(/money {6}estimate \d+\.\d\d USD \(13 tasks\) {2}spent \d+\.\d\d USD/);
    expect(out).toContain("prices unverified");
    expect(summary.failed_items).toEqual([
      expect.objectContaining({ custom_id: "i2v-07", error_kind: "task_failed", planned: true }),
    ]);

    const dataDir = (text: string) => /AOF on, data in (\S+)\)/.exec(text)?.[1];
    expect(dataDir(human.stdout)).toBeDefined();
    expect(dataDir(json.stderr)).toBeDefined();
    expect(dataDir(human.stdout)).not.toBe(dataDir(json.stderr));
  });
});
