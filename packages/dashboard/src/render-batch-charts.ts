import type { TimelinePoint } from "@veoq/pipeline";
import { TIMELINE_BUCKET_MS } from "@veoq/pipeline";
import { formatMoney } from "@veoq/pricing";
import { escapeHtml as e } from "./html-text.ts";

/** Most bars a chart draws: longer runs are summed into wider bars. */
export const CHART_BARS = 48;

const WIDTH = 480;
const HEIGHT = 110;
const PAD = { left: 64, right: 8, top: 8, bottom: 18 };

/** The timeline in at most CHART_BARS equal steps from `from` to `to` (ms); empty steps are zero. */
export function binTimeline(
  points: readonly TimelinePoint[],
  from: number,
  to: number,
): { stepMs: number; bins: TimelinePoint[] } {
  const start = Math.floor(from / TIMELINE_BUCKET_MS) * TIMELINE_BUCKET_MS;
  const buckets = Math.max(1, Math.ceil((to - start + 1) / TIMELINE_BUCKET_MS));
  const perBin = Math.ceil(buckets / CHART_BARS);
  const stepMs = perBin * TIMELINE_BUCKET_MS;
  const count = Math.ceil(buckets / perBin);
  const bins = Array.from({ length: count }, (_, i) => ({
    at: start + i * stepMs,
    completed: 0,
    failed: 0,
    spentMicros: 0,
  }));
  for (const point of points) {
    const bin = bins[Math.min(count - 1, Math.max(0, Math.floor((point.at - start) / stepMs)))];
    if (!bin) continue;
    bin.completed += point.completed;
    bin.failed += point.failed;
    bin.spentMicros += point.spentMicros;
  }
  return { stepMs, bins };
}

/** A bar's width in words: "1 min", "3 h", "3 h 30 min". */
function stepText(stepMs: number): string {
  const minutes = Math.round(stepMs / 60_000);
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours === 0) return `${minutes} min`;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 16);

function frame(label: string, maxText: string, from: number, to: number, body: string): string {
  const bottom = HEIGHT - PAD.bottom;
  return `<svg class="chart" role="img" aria-label="${e(label)}" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" xmlns="http://www.w3.org/2000/svg">
<line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${bottom}" stroke="#9aa1ad"/><line x1="${PAD.left}" y1="${bottom}" x2="${WIDTH - PAD.right}" y2="${bottom}" stroke="#9aa1ad"/>
<text x="${PAD.left - 4}" y="${PAD.top + 8}" text-anchor="end" font-size="10" fill="#6b7280">${e(maxText)}</text><text x="${PAD.left - 4}" y="${bottom}" text-anchor="end" font-size="10" fill="#6b7280">0</text>
<text x="${PAD.left}" y="${HEIGHT - 4}" font-size="10" fill="#6b7280">${clock(from)}</text><text x="${WIDTH - PAD.right}" y="${HEIGHT - 4}" text-anchor="end" font-size="10" fill="#6b7280">${clock(to)} UTC</text>
${body}</svg>`;
}

/** Items finished per step: completed (green) under failed (red). */
function throughputChart(bins: TimelinePoint[], stepMs: number, from: number, to: number): string {
  const max = Math.max(1, ...bins.map((b) => b.completed + b.failed));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const barW = plotW / bins.length;
  const y = (n: number) => (n / max) * plotH;
  const bars = bins
    .map((bin, i) => {
      const x = PAD.left + i * barW + 0.5;
      const w = Math.max(1, barW - 1);
      const hc = y(bin.completed);
      const hf = y(bin.failed);
      const base = HEIGHT - PAD.bottom;
      return `${hc > 0 ? `<rect x="${x.toFixed(1)}" y="${(base - hc).toFixed(1)}" width="${w.toFixed(1)}" height="${hc.toFixed(1)}" fill="#2e9d5b"><title>${clock(bin.at)}: ${bin.completed} completed</title></rect>` : ""}${hf > 0 ? `<rect x="${x.toFixed(1)}" y="${(base - hc - hf).toFixed(1)}" width="${w.toFixed(1)}" height="${hf.toFixed(1)}" fill="#d64545"><title>${clock(bin.at)}: ${bin.failed} failed</title></rect>` : ""}`;
    })
    .join("");
  return frame(`items finished per ${stepText(stepMs)}`, String(max), from, to, bars);
}

/** Money spent so far (a line), against the budget when there is one (dashed). */
function spendChart(
  bins: TimelinePoint[],
  from: number,
  to: number,
  currency: string,
  budgetMicros: number | undefined,
): string {
  let total = 0;
  const cumulative = bins.map((bin) => {
    total += bin.spentMicros;
    return total;
  });
  const top = Math.max(total, budgetMicros ?? 0);
  const max = Math.max(1, top);
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const base = HEIGHT - PAD.bottom;
  const x = (i: number) => PAD.left + ((i + 1) / bins.length) * plotW;
  const y = (micros: number) => base - (micros / max) * plotH;
  const path = [
    `${PAD.left},${base}`,
    ...cumulative.map((m, i) => `${x(i).toFixed(1)},${y(m).toFixed(1)}`),
  ].join(" ");
  const budget =
    budgetMicros === undefined
      ? ""
      : `<line x1="${PAD.left}" y1="${y(budgetMicros).toFixed(1)}" x2="${WIDTH - PAD.right}" y2="${y(budgetMicros).toFixed(1)}" stroke="#c27c0e" stroke-dasharray="4 3"><title>budget ${e(formatMoney(budgetMicros, currency))}</title></line>`;
  return frame(
    "money spent over time",
    top > 0 ? formatMoney(top, currency) : "",
    from,
    to,
    `${budget}<polyline points="${path}" fill="none" stroke="#3b82c4" stroke-width="2"><title>spent ${e(formatMoney(total, currency))}</title></polyline>`,
  );
}

/** The batch's two charts, from its timeline (read once, a few fields per minute it ran). */
export function renderBatchCharts(options: {
  points: readonly TimelinePoint[];
  createdAt: number;
  end: number;
  currency: string;
  budgetMicros: number | undefined;
}): string {
  const { points, createdAt, end } = options;
  const { stepMs, bins } = binTimeline(points, createdAt, end);
  return `<section class="box charts" data-charts><h2>Over time</h2><div class="chart-row">
<figure data-chart="throughput">${throughputChart(bins, stepMs, createdAt, end)}<figcaption>${points.some((p) => p.completed + p.failed > 0) ? "" : "nothing finished yet · "}items finished per ${e(stepText(stepMs))} (<span class="swatch s-completed"></span> completed, <span class="swatch s-failed"></span> failed)</figcaption></figure>
<figure data-chart="spend">${spendChart(bins, createdAt, end, options.currency, options.budgetMicros)}<figcaption>${points.some((p) => p.spentMicros > 0) ? "" : "nothing spent yet · "}money spent so far${options.budgetMicros === undefined ? "" : " (dashed: the budget)"}</figcaption></figure>
</div></section>`;
}
