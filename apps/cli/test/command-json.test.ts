import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { budgetJson, cancelJson, pauseJson, priorityJson } from "@veoq/report";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_DIR, removeTestKeys, runCli, simulatorTestEnv } from "./run-cli.ts";

// No worker runs: the commands only change records.
const prefix = `{veoq-cmdjson-${randomBytes(4).toString("hex")}}`;
const dir = mkdtempSync(join(tmpdir(), "veoq-cmdjson-"));
const env = simulatorTestEnv(prefix, "http://127.0.0.1:9", dir);
const GOOD = readFileSync(join(DEMO_DIR, "manifest.jsonl"), "utf8").trim().split("\n").slice(0, 3);
const BAD = JSON.stringify({ custom_id: "bad", model: "veo-3.1-nope", input: { prompt: "p" } });

beforeAll(async () => {
  const mixed = await runCli(["enqueue", "-", "--batch", "j1", "--skip-invalid"], {
    env,
    cwd: DEMO_DIR,
    stdin: `${[...GOOD, BAD].join("\n")}\n`,
  });
  expect(mixed.stderr).toBe("");
  // What it could enqueue it did: exit 0, and it says why.
  expect(mixed.code).toBe(0);
  expect(mixed.stdout).toContain("batch j1: 3 added, 0 already enqueued, 1 invalid line skipped");
  expect(mixed.stdout).toContain("exit code is 0");
}, 60_000);

afterAll(async () => {
  await removeTestKeys(env.REDIS_URL, prefix);
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `veoq <args> --json`: exit 0, nothing on stderr, one JSON object on stdout. */
async function json(args: readonly string[]): Promise<unknown> {
  const run = await runCli([...args, "--json"], { env });
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  expect(run.stdout.trim().split("\n")).toHaveLength(1);
  return JSON.parse(run.stdout);
}

describe("--json on pause, budget, priority and cancel", () => {
  it("prints one object per command, in the shape packages/report documents", async () => {
    expect(pauseJson.parse(await json(["pause", "j1"]))).toEqual({ batch_id: "j1", changed: true });
    expect(pauseJson.parse(await json(["pause", "j1"])).changed).toBe(false);
    expect((await runCli(["resume", "j1"], { env })).code).toBe(0);

    expect(budgetJson.parse(await json(["budget", "j1", "0"]))).toEqual({
      batch_id: "j1",
      budget: { amount: 0, currency: "USD" },
      spent: { amount: 0, currency: "USD" },
      reserved: { amount: 0, currency: "USD" },
      resumed: false,
      paused_by_budget: true,
    });
    expect(budgetJson.parse(await json(["budget", "j1", "12.5"]))).toMatchObject({
      budget: { amount: 12.5, currency: "USD" },
      resumed: true,
      paused_by_budget: false,
    });

    expect(priorityJson.parse(await json(["priority", "j1", "high"]))).toEqual({
      batch_id: "j1",
      priority: "high",
      reprioritised: 3,
    });

    expect(cancelJson.parse(await json(["cancel", "j1"]))).toEqual({
      batch_id: "j1",
      changed: true,
      cancelled: 3,
      in_flight: 0,
      drop_in_flight: false,
    });
  });

  it("retry --json prints the JSON alone: no human plan on stderr", async () => {
    const retried = (await json(["retry", "j1", "--cancelled", "--yes"])) as Record<
      string,
      unknown
    >;
    expect(retried).toMatchObject({ batch_id: "j1", outcome: "retried", retried: 3 });
  });
});
