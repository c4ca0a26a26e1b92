import type { ChaosReport } from "./run-chaos.ts";

/** Most item defects printed; `--json` has them all. */
const MAX_DEFECTS_SHOWN = 25;

function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  const line = (row: string[]) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  const [head, ...body] = rows;
  return head === undefined ? [] : [line(head), rule, ...body.map(line)];
}

function countsOf(record: Record<string, number>): string {
  const entries = Object.entries(record).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? "none" : entries.map(([k, v]) => `${k}: ${v}`).join(", ");
}

/** The human report: the run's figures, then the table of checks, then any item defects. */
export function formatChaosReport(report: ChaosReport): string[] {
  const { settings, timings, disruptions, provider, batch } = report;
  const out: string[] = [];
  out.push(
    `chaos run: ${settings.jobs} jobs, ${settings.workers} workers, seed ${settings.seed}, time scale ${settings.timeScale}, limit ${settings.seconds} s`,
  );
  out.push("");
  const redisKill = disruptions.redisKill;
  out.push(
    ...table([
      ["figure", "value"],
      ["enqueue (manifest + jobs)", `${timings.enqueueSeconds.toFixed(1)} s`],
      ["until every item final", `${timings.finalSeconds.toFixed(1)} s`],
      ["waiting for provider slots", `${timings.slotSettleSeconds.toFixed(1)} s`],
      ["whole run", `${timings.totalSeconds.toFixed(1)} s`],
      ["worker SIGKILLs", String(disruptions.workerKills)],
      [
        "redis SIGKILLs",
        redisKill === undefined
          ? String(disruptions.redisKills)
          : `${disruptions.redisKills} (at ${redisKill.atSeconds.toFixed(1)} s with ${redisKill.itemsFinal} final; down ${redisKill.downSeconds.toFixed(1)} s)`,
      ],
      ["workers that died by themselves", String(disruptions.unexpectedExits.length)],
      [
        "provider creates",
        `${provider.creates.total} sent, ${provider.creates.accepted} made a task, ${provider.creates.duplicateBodies} repeated a body`,
      ],
      ["creates without a task", countsOf(provider.creates.rejected)],
      ["provider answers", countsOf(provider.responses)],
      [
        "polls / downloads",
        `${provider.polls} / ${provider.downloads.total} (${provider.downloads.expired} expired URLs)`,
      ],
      ["most tasks in flight at once", String(provider.maxInFlightSeen)],
      [
        "batch counters",
        `${batch.possibleDuplicates} possible duplicates (unanswered or crash-window creates), ${batch.resubmits} re-submissions`,
      ],
    ]),
  );
  out.push("");
  const findings = report.findings;
  if (findings !== undefined) {
    out.push(
      ...table([
        ["check", "result", "value", "detail"],
        ...findings.checks.map((check) => [
          check.name,
          check.status === "pass" ? "ok" : check.status === "fail" ? "FAIL" : "n/a",
          check.value,
          check.detail,
        ]),
      ]),
    );
    if (findings.defects.length > 0) {
      out.push("");
      out.push(`${findings.defects.length} item defects:`);
      for (const defect of findings.defects.slice(0, MAX_DEFECTS_SHOWN)) {
        out.push(`  ${defect.customId}: ${defect.problem}`);
      }
      if (findings.defects.length > MAX_DEFECTS_SHOWN) {
        out.push(`  … and ${findings.defects.length - MAX_DEFECTS_SHOWN} more (see --json)`);
      }
    }
  }
  out.push("");
  if (report.error !== undefined) out.push(`error: ${report.error}`);
  out.push(report.ok ? "chaos run PASSED" : "chaos run FAILED");
  if (report.workDir !== undefined) {
    out.push(`kept: ${report.workDir} (worker logs in logs/, Redis data in redis/)`);
  }
  return out;
}
