import { z } from "zod";

/**
 * Money is counted in micro-units (millionths of the table's currency) as whole numbers, so sums
 * over many lines and the budget arithmetic in Redis stay exact. This module is veoq's one money
 * format: `formatMoney` for text ("12.30 USD") and `moneyJson` for JSON (`{ amount, currency }`).
 */
export const MICROS_PER_UNIT = 1_000_000;

/** Largest amount accepted from a person (a budget): ten billion units. */
const MAX_AMOUNT = 10_000_000_000;

export function toMicros(amount: number): number {
  return Math.round(amount * MICROS_PER_UNIT);
}

export function fromMicros(micros: number): number {
  return micros / MICROS_PER_UNIT;
}

/** "12.40 USD"; amounts under one cent keep four decimals ("0.0040 USD"). */
export function formatMoney(micros: number, currency: string): string {
  const amount = fromMicros(micros);
  const digits = amount !== 0 && Math.abs(amount) < 0.01 ? 4 : 2;
  return `${amount.toFixed(digits)} ${currency}`;
}

/**
 * An amount of money in every `--json` output, API answer and webhook: `amount` in units of
 * `currency` (the price table's ISO code), never a bare number or a `*_usd` field.
 */
export const moneySchema = z.object({
  amount: z.number(),
  currency: z.string(),
});
export type MoneyJson = z.infer<typeof moneySchema>;

export function moneyJson(micros: number, currency: string): MoneyJson {
  return { amount: fromMicros(micros), currency };
}

/** A JSON amount as text, the same as formatMoney ("12.30 USD"). */
export function formatMoneyJson(money: MoneyJson): string {
  return formatMoney(toMicros(money.amount), money.currency);
}

/**
 * Parses an amount typed by a person ("25", "12.50") into micros, or returns undefined when it is
 * not a non-negative decimal number.
 */
export function parseAmount(text: string): number | undefined {
  if (!/^\d{1,12}(\.\d{1,6})?$/.test(text.trim())) return undefined;
  const amount = Number(text);
  if (!Number.isFinite(amount) || amount < 0 || amount > MAX_AMOUNT) return undefined;
  return toMicros(amount);
}
