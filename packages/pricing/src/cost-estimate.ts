import type { EndpointSlug } from "@veoq/contract";
import type { Resolution } from "./price-table.ts";
import type { RequestCost } from "./request-cost.ts";

/** Tasks, seconds of video and cost of a set of requests. */
export interface CostTotals {
  tasks: number;
  videoSeconds: number;
  costMicros: number;
}

/** One model and resolution's share of an estimate. */
export interface CostGroup extends CostTotals {
  model: EndpointSlug;
  resolution: Resolution;
}

/** What a manifest (or a batch) costs: in total and per model and resolution. */
export interface CostEstimate extends CostTotals {
  currency: string;
  groups: CostGroup[];
}

/** Adds up request costs line by line; `estimate()` may be read at any time. */
export class CostTally {
  private readonly currency: string;
  private readonly totals: CostTotals = { tasks: 0, videoSeconds: 0, costMicros: 0 };
  private readonly groups = new Map<string, CostGroup>();

  constructor(currency: string) {
    this.currency = currency;
  }

  add(cost: RequestCost): void {
    addTo(this.totals, cost);
    const key = `${cost.model}|${cost.resolution}`;
    let group = this.groups.get(key);
    if (group === undefined) {
      group = {
        model: cost.model,
        resolution: cost.resolution,
        tasks: 0,
        videoSeconds: 0,
        costMicros: 0,
      };
      this.groups.set(key, group);
    }
    addTo(group, cost);
  }

  estimate(): CostEstimate {
    const groups = [...this.groups.values()]
      .map((g) => ({ ...g }))
      .sort((a, b) => a.model.localeCompare(b.model) || a.resolution.localeCompare(b.resolution));
    return { currency: this.currency, ...this.totals, groups };
  }
}

function addTo(totals: CostTotals, cost: RequestCost): void {
  totals.tasks += 1;
  totals.videoSeconds += cost.videoSeconds;
  totals.costMicros += cost.costMicros;
}
