import type { BenchReport } from "./run-benchmarks.ts";

interface Row {
  figure: string;
  veoq: string;
  baseline: string;
  ratio: string;
  goal: string;
  met: boolean | undefined;
}

const f = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : "n/a");

/** The report as a plain-text (and Markdown) table. */
export function formatReport(report: BenchReport): string {
  const {
    pipeline,
    commands,
    polling,
    memory,
    scheduling,
    fairShare,
    startup,
    idle,
    bigBatch: scale,
    keys,
  } = report;
  const rows: Row[] = [];
  if (pipeline !== undefined) {
    rows.push({
      figure: `pipeline items/s (${pipeline.items} items, zero task time)`,
      veoq: f(pipeline.veoq_items_per_s, 0),
      baseline: `${f(pipeline.bare_items_per_s, 0)} (bare BullMQ)`,
      ratio: f(pipeline.ratio, 2),
      goal: "ratio >= 0.5",
      met: pipeline.ratio >= 0.5,
    });
  }
  if (commands !== undefined) {
    rows.push(
      {
        figure: `Redis commands per completed item, pipeline (${commands.items} lite items)`,
        veoq: f(commands.pipeline_per_item, 1),
        baseline: `${f(commands.bare_pipeline_per_item, 1)} (bare BullMQ, 3 hops)`,
        ratio: f(commands.pipeline_per_item / commands.bare_pipeline_per_item, 2),
        goal: "<= 120",
        met: commands.pipeline_per_item <= 120,
      },
      {
        figure: `the same, tasks of 60 s (${f(commands.running_polls_per_item, 2)} polls per item; one running poll costs ${f(commands.per_running_poll, 1)})`,
        veoq: f(commands.running_pipeline_per_item, 1),
        baseline: "",
        ratio: "",
        goal: "",
        met: undefined,
      },
      {
        figure: `Redis commands per line, enqueue (${commands.items} lines)`,
        veoq: f(commands.enqueue_per_line, 1),
        baseline: `${f(commands.bare_enqueue_per_line, 1)} (bare BullMQ addBulk)`,
        ratio: f(commands.enqueue_per_line / commands.bare_enqueue_per_line, 2),
        goal: "<= 15",
        met: commands.enqueue_per_line <= 15,
      },
    );
  }
  if (polling !== undefined) {
    const { blind, informed } = polling;
    rows.push(
      {
        figure: "blind: polls per task",
        veoq: f(blind.veoq_polls_per_task, 2),
        baseline: `${f(blind.fixed_polls_per_task, 2)} (fixed ${polling.fixed_interval_s} s)`,
        ratio: f(blind.polls_ratio, 2),
        goal: "ratio <= 0.40",
        met: blind.polls_ratio <= 0.4,
      },
      {
        figure: "blind: detection lag p50 / p95 (s)",
        veoq: `${f(blind.veoq_lag_p50_s)} / ${f(blind.veoq_lag_p95_s)}`,
        baseline: `${f(blind.fixed_lag_p50_s)} / ${f(blind.fixed_lag_p95_s)}`,
        ratio: "",
        goal: "p95 <= 10 s",
        met: blind.veoq_lag_p95_s <= 10,
      },
      {
        figure: "eta+progress: polls per task",
        veoq: f(informed.veoq_polls_per_task, 2),
        baseline: `${f(informed.fixed_polls_per_task, 2)} (fixed ${polling.fixed_interval_s} s)`,
        ratio: f(informed.polls_ratio, 2),
        goal: "<= 3",
        met: informed.veoq_polls_per_task <= 3,
      },
      {
        figure: "eta+progress: detection lag p50 / p95 (s)",
        veoq: `${f(informed.veoq_lag_p50_s)} / ${f(informed.veoq_lag_p95_s)}`,
        baseline: `${f(informed.fixed_lag_p50_s)} / ${f(informed.fixed_lag_p95_s)}`,
        ratio: "",
        goal: "p95 <= 5 s",
        met: informed.veoq_lag_p95_s <= 5,
      },
    );
  }
  if (scheduling !== undefined) {
    for (const run of scheduling.runs) {
      rows.push({
        figure: `scheduling.makespan_ratio (${run.model.replace("veo-3.1-", "")}, N=${run.items}, K=${run.maxConcurrent}, scale ${run.timeScale})`,
        veoq: `${f(run.makespan_ratio, 3)} (${f(run.makespan_s, 0)} s / ${f(run.bound_s, 0)} s; ideal FIFO ${f(run.ideal_fifo_ratio, 3)})`,
        baseline:
          run.baseline === undefined
            ? ""
            : `${f(run.baseline.makespan_ratio, 3)} (static K, 5 s polls)`,
        ratio: run.baseline === undefined ? "" : f(run.makespan_s / run.baseline.makespan_s, 2),
        goal: "<= 1.10",
        met: run.makespan_ratio <= 1.1,
      });
    }
  }
  if (scheduling?.rate !== undefined) {
    const rate = scheduling.rate;
    rows.push({
      figure: `scheduling.rate_429_fraction (${rate.items} creates, simulator limit ${rate.rpm} RPM)`,
      veoq: `${f(100 * rate.rate_429_fraction, 2)} % (${rate.creates_429}/${rate.creates}), ${f(rate.creates_per_minute)} creates/min`,
      baseline: "",
      ratio: "",
      goal: "< 1 %",
      met: rate.rate_429_fraction < 0.01,
    });
  }
  if (fairShare !== undefined) {
    rows.push({
      figure: `scheduling.small_batch_wait_s (${fairShare.smallItems} items behind ${fairShare.bigItems}, K=${fairShare.maxConcurrent})`,
      veoq: f(fairShare.small_batch_wait_s, 0),
      baseline: `${f(fairShare.small_batch_alone_wait_s, 0)} alone`,
      ratio: "",
      goal: `<= ~${2 * fairShare.round_s} s (a round or two of turnover)`,
      met: fairShare.small_batch_wait_s <= 2 * fairShare.round_s,
    });
  }
  if (keys !== undefined) {
    rows.push(
      {
        figure: `keys.makespan_vs_ideal (3 keys, caps 10/5/5, N=${keys.items})`,
        veoq: `${f(keys.makespan_vs_ideal, 3)} (${f(keys.makespan_s, 0)} s / ideal first-come over 20 slots ${f(keys.ideal_fifo_s, 0)} s)`,
        baseline: `${f(keys.single_key_vs_ideal, 3)} one key of cap 20`,
        ratio: "",
        goal: "<= 1.05",
        met: keys.makespan_vs_ideal <= 1.05,
      },
      {
        figure: `keys.rate_scaling (3 keys x ${keys.rpm} RPM)`,
        veoq: `${f(keys.rate_pool_per_min)} creates/min`,
        baseline: `${f(keys.rate_single_per_min)} with one key`,
        ratio: f(keys.rate_scaling, 3),
        goal: ">= 0.95 x 3",
        met: keys.rate_scaling >= 0.95,
      },
      {
        figure: `keys.credit (a key dry after ${keys.credit} creates, N=${keys.items})`,
        veoq: `${keys.credit_completed} completed, ${keys.credit_failed} failed, ${keys.credit_creates} creates, ${keys.credit_duplicates} duplicates`,
        baseline: "",
        ratio: "",
        goal: "all completed, 0 failed, creates = N",
        met:
          keys.credit_completed === keys.items &&
          keys.credit_failed === 0 &&
          keys.credit_creates === keys.items,
      },
    );
  }
  if (memory !== undefined) {
    rows.push(
      {
        figure: `Redis bytes per queued job (${memory.jobs} jobs)`,
        veoq: f(memory.redis_bytes_per_job, 0),
        baseline: "",
        ratio: "",
        goal: "<= 1536",
        met: memory.redis_bytes_per_job <= 1536,
      },
      {
        figure: `veoq enqueue lines/s (${memory.jobs} lines, wall, median of ${memory.enqueue_runs.length})`,
        veoq: f(memory.enqueue_lines_per_s, 0),
        baseline: `${f(memory.enqueue_lines_per_s_after_startup, 0)} without start-up`,
        ratio: "",
        goal: ">= 20000",
        met: memory.enqueue_lines_per_s >= 20_000,
      },
      {
        figure: `enqueue in process lines/s (${memory.jobs} lines; CPU us/line client + Redis)`,
        veoq: `${f(memory.in_process.lines_per_s, 0)} (${f(memory.in_process.client_cpu_us_per_line, 0)} + ${f(memory.in_process.redis_cpu_us_per_line, 0)})`,
        baseline: `${f(memory.bare_add_bulk.lines_per_s, 0)} (${f(memory.bare_add_bulk.client_cpu_us_per_line, 0)} + ${f(memory.bare_add_bulk.redis_cpu_us_per_line, 0)}) bare addBulk`,
        ratio: f(memory.in_process.lines_per_s / memory.bare_add_bulk.lines_per_s, 2),
        goal: "(the ceiling BullMQ sets)",
        met: undefined,
      },
      {
        figure: `veoq enqueue peak RSS (MB, highest of ${memory.enqueue_runs.length})`,
        veoq: f(memory.enqueue_peak_rss_mb, 0),
        baseline: "",
        ratio: "",
        goal: "<= 250",
        met: memory.enqueue_peak_rss_mb <= 250,
      },
    );
  }
  if (startup !== undefined) {
    for (const [where, cost] of [
      ["installed", startup.installed],
      ["checkout (what `pnpm veoq` starts)", startup.checkout],
    ] as const) {
      rows.push(
        {
          figure: `veoq --version CPU s (${where}, median of ${startup.runs})`,
          veoq: f(cost.version.cpu_s, 2),
          baseline: `${f(cost.version.wall_s, 2)} s wall`,
          ratio: "",
          goal: "<= 0.15",
          met: cost.version.cpu_s <= 0.15,
        },
        {
          figure: `veoq --version peak RSS MB (${where})`,
          veoq: f(cost.version.peak_rss_mb, 0),
          baseline: "",
          ratio: "",
          goal: "<= 60",
          met: cost.version.peak_rss_mb <= 60,
        },
        {
          figure: `veoq status BATCH --json CPU s (${where}, ${startup.status_items} items)`,
          veoq: f(cost.status.cpu_s, 2),
          baseline: `${f(cost.status.wall_s, 2)} s wall, ${f(cost.status.peak_rss_mb, 0)} MB`,
          ratio: "",
          goal: "<= 0.35",
          met: cost.status.cpu_s <= 0.35,
        },
      );
    }
    if (startup.pnpm_version !== undefined) {
      rows.push({
        figure: "pnpm veoq --version CPU s (pnpm's own start-up included)",
        veoq: f(startup.pnpm_version.cpu_s, 2),
        baseline: `${f(startup.pnpm_version.peak_rss_mb, 0)} MB`,
        ratio: "",
        goal: "",
        met: undefined,
      });
    }
  }
  if (idle !== undefined) {
    rows.push(
      {
        figure: `idle veoq worker: Redis commands/s (all roles, nothing queued, ${idle.seconds} s)`,
        veoq: f(idle.commands_per_s, 2),
        baseline: idle.top_commands.map((c) => `${c.command} ${c.calls}`).join(", "),
        ratio: "",
        goal: "<= 2",
        met: idle.commands_per_s <= 2,
      },
      {
        figure: `freed slot taken after the release, s (p50 / max of ${idle.wakes})`,
        veoq: `${f(idle.wake_p50_s, 2)} / ${f(idle.wake_max_s, 2)}`,
        baseline: "",
        ratio: "",
        goal: "<= 0.5",
        met: idle.wake_max_s <= 0.5,
      },
    );
  }
  if (scale !== undefined) {
    const n = scale.lines;
    const row = (figure: string, veoq: string, goal: string, met: boolean): Row => ({
      figure,
      veoq,
      baseline: "",
      ratio: "",
      goal,
      met,
    });
    rows.push(
      row(
        `scale: enqueue lines/s (${n} lite lines, wall, one run)`,
        `${f(scale.enqueue_lines_per_s, 0)} (${f(scale.enqueue_wall_s, 0)} s, ${f(scale.enqueue_cpu_s, 0)} s CPU)`,
        ">= 20000",
        scale.enqueue_lines_per_s >= 20_000,
      ),
      row(
        "scale: enqueue peak RSS (MB)",
        f(scale.enqueue_peak_rss_mb, 0),
        "<= 250",
        scale.enqueue_peak_rss_mb <= 250,
      ),
      row(
        "scale: Redis bytes per queued job",
        `${f(scale.redis_bytes_per_job, 0)} (${f(scale.redis_used_mb, 0)} MB)`,
        "<= 1536",
        scale.redis_bytes_per_job <= 1536,
      ),
      row(
        "scale: `status big --json`, CPU s (median of 5)",
        `${f(scale.status_cpu_s, 2)} (wall ${f(scale.status_wall_s, 2)})`,
        "<= 0.45",
        scale.status_cpu_s <= 0.45,
      ),
      ...scale.reads.map((read) =>
        row(
          `scale: ${read.what}, ms p50 / p95`,
          `${f(read.p50_ms, 0)} / ${f(read.p95_ms, 0)}${read.redis_forks > 0 ? ` (${read.redis_forks} Redis fork(s) meanwhile)` : ""}`,
          "p95 <= 300",
          read.p95_ms <= 300,
        ),
      ),
      row(
        "scale: `results` lines/s",
        `${f(scale.results_lines_per_s, 0)} (${f(scale.results_wall_s, 1)} s)`,
        ">= 50000",
        scale.results_lines_per_s >= 50_000,
      ),
    );
  }
  const header = ["figure", "veoq", "baseline", "ratio", "goal", "met"];
  const cells = rows.map((r) => [
    r.figure,
    r.veoq,
    r.baseline,
    r.ratio,
    r.goal,
    r.met === undefined ? "" : r.met ? "yes" : "NO",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? "").length)));
  const line = (values: string[]) =>
    `| ${values.map((v, i) => v.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  const m = report.machine;
  return [
    `veoq bench (${report.scale}) - ${m.cpus} x ${m.cpu_model}, ${m.memory_gb} GB, node ${m.node}, redis ${m.redis}; ${f(report.seconds, 0)} s`,
    "",
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...cells.map(line),
    ...(commands === undefined
      ? []
      : [
          ...operationLines(commands.pipeline_operations),
          `  by stage: ${Object.entries(commands.pipeline_by_stage)
            .map(([stage, n]) => `${stage} ${f(n, 1)}`)
            .join(", ")}`,
        ]),
  ].join("\n");
}

/** Where the pipeline's commands go (the first 15 operations), one per line. */
function operationLines(
  operations: { operation: string; commands: number; calls: number }[],
): string[] {
  return [
    "",
    "Redis commands per completed item, by operation (script-internal commands included):",
    ...operations.slice(0, 15).map((o) => `  ${f(o.commands, 2).padStart(6)}  ${o.operation}`),
  ];
}
