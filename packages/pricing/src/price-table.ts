import { readFileSync } from "node:fs";
import { assetPath } from "@veoq/assets";
import { ENDPOINT_SLUGS, type EndpointSlug, RESOLUTIONS } from "@veoq/contract";
import { z } from "zod";
import { toMicros } from "./money.ts";

/** The default table shipped with veoq (unverified list prices; see the file's `note`). */
export const DEFAULT_PRICE_TABLE_PATH = assetPath("packages/pricing/prices/default-prices.json");

export type Resolution = (typeof RESOLUTIONS)[number];

/**
 * One price: per second of video per sample, for one model, resolution and audio choice. These
 * are what the create endpoints bill on (duration and `sample_count` multiply it).
 */
const priceEntrySchema = z.strictObject({
  model: z.string(),
  resolution: z.string(),
  audio: z.boolean(),
  perSecond: z.number().finite(),
  /** Where the price comes from (page, plan) and how sure it is. */
  source: z.string().min(1).max(1000),
  /** The date the source gave this price (YYYY-MM-DD). */
  asOf: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date YYYY-MM-DD"),
});

const priceFileSchema = z.strictObject({
  currency: z.string().regex(/^[A-Z]{3}$/, "must be a currency code such as USD"),
  note: z.string().max(4000).optional(),
  prices: z.array(priceEntrySchema).min(1).max(1000),
});

/** A validated price table: every model × resolution × audio has exactly one price. */
export interface PriceTable {
  currency: string;
  /** Where the table was read from. */
  path: string;
  /** Micros per second of video per sample, by `priceKey`. */
  perSecondMicros: ReadonlyMap<string, number>;
  /**
   * The shipped table (VEOQ_PRICES unset): list prices nobody checked against the provider's
   * bill, so every view of money says so (UNVERIFIED_PRICES_NOTE).
   */
  unverified: boolean;
}

/** What status, the dashboard and the API say while the shipped (unverified) prices are used. */
export const UNVERIFIED_PRICES_NOTE =
  "prices unverified: the shipped list prices are in use, not the provider's; set VEOQ_PRICES to a price table with what jiekou.ai bills";

/** Raised once at start with every problem of the table, each naming the entry. */
export class PriceTableError extends Error {
  readonly problems: readonly string[];

  constructor(path: string, problems: readonly string[]) {
    super(`invalid price table ${path} (VEOQ_PRICES): ${problems.join("; ")}`);
    this.name = "PriceTableError";
    this.problems = problems;
  }
}

export function priceKey(model: EndpointSlug, resolution: Resolution, audio: boolean): string {
  return `${model}|${resolution}|${audio ? "audio" : "silent"}`;
}

/** Checks a parsed JSON price table; throws a PriceTableError listing every problem. */
export function parsePriceTable(json: unknown, path: string): PriceTable {
  const parsed = priceFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new PriceTableError(
      path,
      parsed.error.issues.map((issue) => `${issue.path.join(".") || "(file)"} ${issue.message}`),
    );
  }
  const problems: string[] = [];
  const perSecondMicros = new Map<string, number>();
  parsed.data.prices.forEach((entry, index) => {
    const at = `prices[${index}]`;
    if (!(ENDPOINT_SLUGS as readonly string[]).includes(entry.model)) {
      problems.push(`${at}.model: unknown model "${entry.model.slice(0, 80)}"`);
      return;
    }
    if (!(RESOLUTIONS as readonly string[]).includes(entry.resolution)) {
      problems.push(`${at}.resolution: must be one of ${RESOLUTIONS.join(", ")}`);
      return;
    }
    if (entry.perSecond < 0) {
      problems.push(`${at}.perSecond: a price cannot be negative`);
      return;
    }
    const key = priceKey(entry.model as EndpointSlug, entry.resolution as Resolution, entry.audio);
    if (perSecondMicros.has(key)) problems.push(`${at}: a second price for ${key}`);
    perSecondMicros.set(key, toMicros(entry.perSecond));
  });
  for (const model of ENDPOINT_SLUGS) {
    for (const resolution of RESOLUTIONS) {
      for (const audio of [true, false]) {
        const key = priceKey(model, resolution, audio);
        if (!perSecondMicros.has(key) && problems.length < 50) problems.push(`no price for ${key}`);
      }
    }
  }
  if (problems.length > 0) throw new PriceTableError(path, problems);
  return {
    currency: parsed.data.currency,
    path,
    perSecondMicros,
    unverified: path === DEFAULT_PRICE_TABLE_PATH,
  };
}

/** Reads and checks the table at `path` (VEOQ_PRICES), or the default table. */
export function loadPriceTable(path: string | undefined): PriceTable {
  const file = path ?? DEFAULT_PRICE_TABLE_PATH;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new PriceTableError(file, [`cannot be read (${code})`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new PriceTableError(file, [`is not JSON: ${(error as Error).message.slice(0, 200)}`]);
  }
  return parsePriceTable(json, file);
}
