import type { KeyFigures } from "@veoq/pipeline";
import { formatMoney, type MoneyJson, moneyJson } from "@veoq/pricing";

/** One API key as `veoq keys --json` and `veoq status --json` print it (never the key itself). */
export interface KeyJson {
  name: string;
  state: KeyFigures["state"];
  in_flight: number;
  cap: number;
  max: number;
  creates: number;
  rate_limited: number;
  spent: MoneyJson;
  spent_today: MoneyJson;
  cool_until: string | null;
  stopped_by: string | null;
}

export function keyToJson(key: KeyFigures, currency: string): KeyJson {
  return {
    name: key.name,
    state: key.state,
    in_flight: key.inFlight,
    cap: key.cap,
    max: key.max,
    creates: key.creates,
    rate_limited: key.rateLimited,
    spent: moneyJson(key.spentMicros, currency),
    spent_today: moneyJson(key.spentTodayMicros, currency),
    cool_until: key.coolUntil > 0 ? new Date(key.coolUntil).toISOString() : null,
    stopped_by: key.stoppedBy ?? null,
  };
}

/** One line per key: name, state, in flight / cap, creates, 429s, spend (today and in all). */
export function formatKeys(keys: readonly KeyFigures[], currency: string): string[] {
  if (keys.length === 0) return ["no API key has been used yet"];
  const width = Math.max(...keys.map((k) => k.name.length));
  return keys.map((k) => {
    const state =
      k.state === "stopped"
        ? `STOPPED (${k.stoppedBy ?? ""}; \`veoq resume --key ${k.name}\`)`
        : k.state === "cooling"
          ? `cooling until ${new Date(k.coolUntil).toISOString()}`
          : k.state;
    return `${k.name.padEnd(width)}  ${k.inFlight}/${k.cap} in flight (max ${k.max})  ${k.creates} creates  ${k.rateLimited} 429s  spent ${formatMoney(k.spentTodayMicros, currency)} today, ${formatMoney(k.spentMicros, currency)} in all  ${state}`;
  });
}
