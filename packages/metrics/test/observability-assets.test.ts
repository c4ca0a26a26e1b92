import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { removeKeysUnder } from "@veoq/local-redis";
import { createRedisConnection } from "@veoq/pipeline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { promtoolPath } from "../src/index.ts";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const RULES = path.join(REPO, "infra/prometheus/veoq-rules.yml");
const RULE_TESTS = path.join(REPO, "infra/prometheus/tests/veoq-rules.test.yml");
const DASHBOARD = path.join(REPO, "infra/grafana/veoq.json");

const prefix = `{veoq-assets-${randomUUID().slice(0, 8)}}`;
let worker: ChildProcess | undefined;
/** Every metric name a live worker's /metrics declares, histogram series included. */
let exported: Set<string>;

function runPromtool(args: string[]): Promise<{ code: number | null; output: string }> {
  const promtool = promtoolPath();
  if (promtool === undefined)
    throw new Error("promtool not found: run infra/test/ensure-promtool.sh");
  return new Promise((resolve, reject) => {
    const child = spawn(promtool, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, output }));
  });
}

/** The veoq_/nodejs_/process_ metric names an expression names (label values left out). */
function metricNamesIn(expr: string): string[] {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return [...withoutStrings.matchAll(/\b(?:veoq|nodejs|process)_[a-z0-9_]+\b/g)].map((m) => m[0]);
}

/** The `expr:` of every rule in a rules file (single-line or folded `>-`). */
function ruleExpressions(yaml: string): string[] {
  const exprs: string[] = [];
  let current: string[] | undefined;
  for (const line of yaml.split("\n")) {
    const start = /^\s*expr:\s*(.*)$/.exec(line);
    if (start) {
      current = [start[1] === ">-" ? "" : (start[1] ?? "")];
      exprs.push("");
      continue;
    }
    if (current && /^\s*(for|labels|annotations|- record|- alert|- name):?/.test(line)) {
      exprs[exprs.length - 1] = current.join(" ").trim();
      current = undefined;
    } else if (current) current.push(line.trim());
  }
  if (current) exprs[exprs.length - 1] = current.join(" ").trim();
  return exprs;
}

interface GrafanaPanel {
  title: string;
  targets?: { expr: string }[];
}

beforeAll(async () => {
  worker = spawn(process.execPath, ["--import", "tsx", "test/fixtures/worker-process.ts"], {
    cwd: fileURLToPath(new URL("..", import.meta.url)),
    env: {
      ...process.env,
      REDIS_URL: "redis://127.0.0.1:6379",
      VEOQ_PREFIX: prefix,
      JIEKOU_BASE_URL: "http://127.0.0.1:9",
      JIEKOU_API_KEY: "k",
      VEOQ_OUTPUT_DIR: path.join(tmpdir(), "veoq-assets-out"),
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const metricsUrl = await new Promise<string>((resolve, reject) => {
    let out = "";
    worker?.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve((JSON.parse(line) as { metricsUrl: string }).metricsUrl);
    });
    worker?.once("exit", (code) => reject(new Error(`worker exited (${code}) before it started`)));
  });
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  exported = new Set();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    exported.add(name as string);
    if (type === "histogram" || type === "summary") {
      for (const suffix of ["_bucket", "_sum", "_count"]) exported.add(`${name}${suffix}`);
    }
  }
}, 60_000);

afterAll(async () => {
  if (worker && worker.exitCode === null) {
    const exited = new Promise((resolve) => worker?.once("exit", resolve));
    worker.kill("SIGTERM");
    await exited;
  }
  const redis = createRedisConnection("redis://127.0.0.1:6379", "producer");
  await removeKeysUnder(redis, prefix);
  redis.disconnect();
});

describe("infra/prometheus rules", () => {
  it("pass promtool check rules and every promtool test case", async () => {
    const check = await runPromtool(["check", "rules", RULES]);
    expect(check.output).toContain("SUCCESS");
    expect(check.code).toBe(0);
    const tests = await runPromtool(["test", "rules", RULE_TESTS]);
    expect(tests.output).toContain("SUCCESS");
    expect(tests.code).toBe(0);
  }, 60_000);

  it("have for every alert a case that fires it and one that does not", async () => {
    const rules = await readFile(RULES, "utf8");
    const tests = await readFile(RULE_TESTS, "utf8");
    const alerts = [...rules.matchAll(/- alert: (\w+)/g)].map((m) => m[1] as string);
    expect(alerts.length).toBeGreaterThanOrEqual(9);
    for (const alert of alerts) {
      const cases = [
        ...tests.matchAll(new RegExp(`alertname: ${alert}\\n\\s*exp_alerts:( \\[\\])?`, "g")),
      ];
      expect(
        cases.some((m) => m[1] !== undefined),
        `${alert}: a case where it does not fire`,
      ).toBe(true);
      expect(
        cases.some((m) => m[1] === undefined),
        `${alert}: a case where it fires`,
      ).toBe(true);
    }
  });

  it("name only metrics a live worker exports", async () => {
    const exprs = ruleExpressions(await readFile(RULES, "utf8"));
    expect(exprs.length).toBeGreaterThanOrEqual(15);
    const unknown = exprs.flatMap(metricNamesIn).filter((name) => !exported.has(name));
    expect(unknown).toEqual([]);
  });
});

describe("infra/grafana/veoq.json", () => {
  it("has panels whose every expression parses (promtool) and names only exported metrics", async () => {
    const dashboard = JSON.parse(await readFile(DASHBOARD, "utf8")) as {
      panels: GrafanaPanel[];
      templating: { list: { definition?: string }[] };
    };
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    expect(exprs.length).toBeGreaterThanOrEqual(20);
    // Grafana's variables as Prometheus would see them once Grafana filled them in.
    const promql = exprs.map((e) =>
      e.replaceAll("$__rate_interval", "5m").replaceAll("$batch", ".*"),
    );
    const dir = await mkdtemp(path.join(tmpdir(), "veoq-grafana-"));
    try {
      const file = path.join(dir, "panels.yml");
      const rules = promql
        .map((e, i) => `      - record: grafana:panel_${i}\n        expr: ${JSON.stringify(e)}`)
        .join("\n");
      await writeFile(file, `groups:\n  - name: grafana\n    rules:\n${rules}\n`);
      const check = await runPromtool(["check", "rules", file]);
      expect(check.output).toContain(`SUCCESS: ${promql.length} rules found`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    for (const expr of exprs) expect(metricNamesIn(expr).length, expr).toBeGreaterThan(0);
    const variables = dashboard.templating.list.flatMap((v) =>
      v.definition ? [v.definition] : [],
    );
    const unknown = [...exprs, ...variables]
      .flatMap(metricNamesIn)
      .filter((name) => !exported.has(name));
    expect(unknown).toEqual([]);
    // The panels the operator asks for first.
    const titles = dashboard.panels.map((p) => p.title).join(" | ");
    for (const wanted of [
      "Throughput",
      "Backlog per queue",
      "Provider slots",
      "429",
      "Spend vs budget",
      "Detection lag",
      "Download time",
      "Failures by kind",
      "Workers per role",
    ]) {
      expect(titles).toContain(wanted);
    }
  }, 60_000);
});
