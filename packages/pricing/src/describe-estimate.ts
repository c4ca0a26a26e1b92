import type { CostEstimate } from "./cost-estimate.ts";
import { formatMoney, moneyJson } from "./money.ts";

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** "12 tasks, 96 s of video, 38.40 USD" and one indented line per model and resolution. */
export function describeEstimate(estimate: CostEstimate): string[] {
  const money = (micros: number) => formatMoney(micros, estimate.currency);
  return [
    `${plural(estimate.tasks, "task")}, ${estimate.videoSeconds} s of video, ${money(estimate.costMicros)}`,
    ...estimate.groups.map(
      (g) =>
        `  ${g.model} ${g.resolution}: ${plural(g.tasks, "task")}, ${g.videoSeconds} s, ${money(g.costMicros)}`,
    ),
  ];
}

/** The estimate as JSON fields (money as `{ amount, currency }`), for `--json` outputs. */
export function estimateToJson(estimate: CostEstimate) {
  return {
    tasks: estimate.tasks,
    video_seconds: estimate.videoSeconds,
    cost: moneyJson(estimate.costMicros, estimate.currency),
    by_model_resolution: estimate.groups.map((g) => ({
      model: g.model,
      resolution: g.resolution,
      tasks: g.tasks,
      video_seconds: g.videoSeconds,
      cost: moneyJson(g.costMicros, estimate.currency),
    })),
  };
}
