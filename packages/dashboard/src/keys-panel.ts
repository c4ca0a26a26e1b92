import type { KeyFigures } from "@veoq/pipeline";
import { formatMoney } from "@veoq/pricing";
import { escapeHtml as e } from "./html-text.ts";

/**
 * The API keys panel of the overview (issue 27): one row per key of the pool, by name or short
 * hash (never the key): state, tasks in flight against its cap, creates, 429s, spend. Shown once
 * the pool has more than one key or a key is stopped; a deployment with its one key running
 * fine gets no panel.
 */
export function keysPanel(keys: readonly KeyFigures[], currency: string): string {
  if (keys.length <= 1 && !keys.some((k) => k.state === "stopped")) return "";
  const rows = keys
    .map(
      (k) => `<tr data-key="${e(k.name)}" data-key-state="${k.state}"><td>${e(k.name)}</td>
<td>${k.state === "stopped" ? `<b>stopped</b> <span class="muted">${e(k.stoppedBy ?? "")}; <code>veoq resume --key ${e(k.name)}</code></span>` : e(k.state)}</td>
<td>${k.inFlight}/${k.cap}</td><td>${k.creates}</td><td>${k.rateLimited}</td>
<td>${e(formatMoney(k.spentTodayMicros, currency))} <span class="muted">(${e(formatMoney(k.spentMicros, currency))} in all)</span></td></tr>`,
    )
    .join("");
  return `<section class="box" data-keys="${keys.length}"><h2>API keys (${keys.length})</h2><table class="keys"><tr><th>key</th><th>state</th><th>in flight</th><th>creates</th><th>429s</th><th>spent today</th></tr>${rows}</table></section>`;
}
