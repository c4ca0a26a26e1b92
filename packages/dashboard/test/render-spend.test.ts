import { describe, expect, it } from "vitest";
import type { BatchView } from "../src/read-batches.ts";
import { spendLine } from "../src/render-spend.ts";

const M = 1_000_000;
const spend = {
  currency: "USD",
  estimateMicros: 72.6 * M,
  estimateTasks: 60,
  estimateSeconds: 480,
  budgetMicros: undefined,
  spentMicros: 81.6 * M,
  reservedMicros: 0,
  split: {
    first: { creates: 60, micros: 72.6 * M },
    resubmits: {
      task_failed: { creates: 5, micros: 6 * M },
      retry: { creates: 0, micros: 0 },
    },
    unanswered: { creates: 2, micros: 3 * M },
  },
};
/** The two fields spendLine reads of a batch's view. */
const view = (s: typeof spend) =>
  ({ spend: s, control: { state: "running" } }) as unknown as BatchView;

describe("the dashboard's money line", () => {
  it("shows what spent is made of and flags the shipped prices", () => {
    const html = spendLine(view(spend), { currency: "USD", unverified: true });
    expect(html).toContain("<b data-estimate>72.60 USD</b>");
    expect(html).toContain(
      "spent 81.60 USD = 72.60 USD first creates (60) + 6.00 USD re-submits (5: 5 task failed) + 3.00 USD possible duplicates (2)",
    );
    expect(html).toContain("data-prices-unverified");
    expect(html).not.toContain("$");
  });

  it("leaves out the unverified flag with a price table of one's own", () => {
    const clean = { ...spend, split: { ...spend.split, unanswered: { creates: 0, micros: 0 } } };
    const html = spendLine(view(clean), { currency: "USD", unverified: false });
    expect(html).not.toContain("data-prices-unverified");
  });
});
