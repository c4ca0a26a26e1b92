import type { BatchSpend, SpentShare } from "@veoq/pipeline";
import { formatMoney, moneyJson, moneySchema, UNVERIFIED_PRICES_NOTE } from "@veoq/pricing";
import { z } from "zod";
import { countOf } from "./count-text.ts";

/** The one sentence that explains "possible duplicates" wherever they are shown. */
export const POSSIBLE_DUPLICATES_NOTE =
  "possible duplicates: creates sent that got no usable answer; the provider may have made and billed a task veoq cannot follow, so they count as spent";

/** The price table a view of money was computed with: its currency and whether it is unverified. */
export interface PricesInUse {
  currency: string;
  unverified: boolean;
}

const shareJson = z.object({ creates: z.number().int(), spent: moneySchema });

/**
 * A batch's money, as `veoq status --json`, the HTTP API's batch and the dashboard's /api print
 * it. Every amount is `{ amount, currency }` (pricing's moneyJson). `spent` is exactly the sum of
 * `spent_by_kind`'s three parts; `estimate` is the first creates the batch's lines need (what
 * enqueue printed).
 */
export const batchSpendJson = z.object({
  estimate: moneySchema,
  estimate_tasks: z.number().int(),
  estimate_video_seconds: z.number(),
  spent: moneySchema,
  spent_by_kind: z.object({
    /** Each item's first create (submission 0). */
    first_creates: shareJson,
    /** Creates of later submissions, by why they were made. */
    resubmits: shareJson.extend({
      by_reason: z.object({
        /** The previous task failed with a transient-looking reason (automatic). */
        task_failed: shareJson,
        /** `veoq retry` (or the dashboard's / API's retry) re-submitted a failed item. */
        retry: shareJson,
      }),
    }),
    possible_duplicates: shareJson.meta({ description: POSSIBLE_DUPLICATES_NOTE }),
  }),
  /** Reserved by creates under way (spent once they are answered). */
  reserved: moneySchema,
  budget: moneySchema.nullable(),
  /** `unverified`: the shipped list prices are in use (VEOQ_PRICES unset); `note` says so. */
  prices: z.object({ unverified: z.boolean(), note: z.string().nullable() }),
});
export type BatchSpendJson = z.infer<typeof batchSpendJson>;

export function toBatchSpendJson(spend: BatchSpend, prices: PricesInUse): BatchSpendJson {
  const currency = spend.currency ?? prices.currency;
  const money = (micros: number) => moneyJson(micros, currency);
  const share = (s: SpentShare) => ({ creates: s.creates, spent: money(s.micros) });
  const { first, resubmits, unanswered } = spend.split;
  const resubmitted = {
    creates: resubmits.task_failed.creates + resubmits.retry.creates,
    micros: resubmits.task_failed.micros + resubmits.retry.micros,
  };
  return {
    estimate: money(spend.estimateMicros),
    estimate_tasks: spend.estimateTasks,
    estimate_video_seconds: spend.estimateSeconds,
    spent: money(spend.spentMicros),
    spent_by_kind: {
      first_creates: share(first),
      resubmits: {
        ...share(resubmitted),
        by_reason: { task_failed: share(resubmits.task_failed), retry: share(resubmits.retry) },
      },
      possible_duplicates: share(unanswered),
    },
    reserved: money(spend.reservedMicros),
    budget: spend.budgetMicros === undefined ? null : money(spend.budgetMicros),
    prices: {
      unverified: prices.unverified,
      note: prices.unverified ? UNVERIFIED_PRICES_NOTE : null,
    },
  };
}

/**
 * "spent 1191.40 USD = 1069.00 USD first creates (599) + 98.40 USD re-submits (41: 38 task
 * failed, 3 veoq retry) + 24.00 USD possible duplicates (12)"; undefined while nothing is spent.
 */
export function spentSplitText(spend: BatchSpend, currency: string): string | undefined {
  if (spend.spentMicros === 0) return undefined;
  const money = (micros: number) => formatMoney(micros, spend.currency ?? currency);
  const { first, resubmits, unanswered } = spend.split;
  const resubmitCreates = resubmits.task_failed.creates + resubmits.retry.creates;
  const reasons = [
    resubmits.task_failed.creates > 0 ? `${resubmits.task_failed.creates} task failed` : "",
    resubmits.retry.creates > 0 ? `${resubmits.retry.creates} veoq retry` : "",
  ].filter((r) => r !== "");
  return (
    `spent ${money(spend.spentMicros)} = ${money(first.micros)} first creates (${first.creates})` +
    ` + ${money(resubmits.task_failed.micros + resubmits.retry.micros)} re-submits (${resubmitCreates}${reasons.length > 0 ? `: ${reasons.join(", ")}` : ""})` +
    ` + ${money(unanswered.micros)} possible duplicates (${unanswered.creates})`
  );
}

/**
 * The money lines `veoq status` prints under a batch: estimate, spent, reserved and budget; the
 * unverified-prices warning while the shipped table is used; what spent is made of; the
 * possible-duplicates sentence when there are any.
 */
export function batchSpendLines(spend: BatchSpend, prices: PricesInUse): string[] {
  const { currency } = prices;
  const money = (micros: number) => formatMoney(micros, spend.currency ?? currency);
  const lines = [
    `estimate ${money(spend.estimateMicros)} (${countOf(spend.estimateTasks, "task")})  spent ${money(spend.spentMicros)}` +
      (spend.reservedMicros > 0 ? `  reserved ${money(spend.reservedMicros)}` : "") +
      (spend.budgetMicros === undefined ? "" : `  budget ${money(spend.budgetMicros)}`),
  ];
  if (prices.unverified) lines.push(`!! ${UNVERIFIED_PRICES_NOTE}`);
  const split = spentSplitText(spend, currency);
  if (split !== undefined) lines.push(split);
  if (spend.split.unanswered.creates > 0) lines.push(POSSIBLE_DUPLICATES_NOTE);
  return lines;
}
