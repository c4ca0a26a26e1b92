import {
  type BatchStore,
  credentialsStopTimes,
  type ItemResult,
  type OutboxEntry,
  overviewOf,
  type SpendLedger,
} from "@veoq/pipeline";
import { type PricesInUse, toBatchJson, toBatchSpendJson, toResultJson } from "@veoq/report";
import type { WebhookEvent } from "./webhook-events.ts";

/**
 * Where a webhook's links point: the API's routes under VEOQ_API_PUBLIC_URL, or the bare paths
 * when it is unset (the receiver knows where it reaches the API).
 */
export function apiLink(base: string | undefined, ...segments: (string | number)[]): string {
  const route = `/v1/${segments.map((s) => encodeURIComponent(String(s))).join("/")}`;
  return `${(base ?? "").replace(/\/+$/, "")}${route}`;
}

export interface EventSources {
  store: BatchStore;
  spend: SpendLedger;
  apiPublicUrl: string | undefined;
  prices: PricesInUse;
  now: () => number;
}

/**
 * The body of one outbox entry's event, read when the relay turns the entry into deliveries (so
 * every try of every endpoint sends the same body). Undefined when what it reports is gone.
 */
export async function buildWebhookEvent(
  sources: EventSources,
  entry: OutboxEntry,
): Promise<WebhookEvent | undefined> {
  const timestamp = new Date(entry.at).toISOString();
  if (entry.type === "item.failed" || entry.type === "item.completed") {
    if (entry.customId === undefined) return undefined;
    const result = await sources.store.itemResult(entry.batchId, entry.customId);
    if (result === undefined) return undefined;
    return { type: entry.type, timestamp, data: itemData(result, sources.apiPublicUrl) };
  }
  const batch = await sources.store.getBatch(entry.batchId);
  if (batch === undefined) return undefined;
  const [spend, control, stops] = await Promise.all([
    sources.spend.read(entry.batchId),
    sources.store.control.read(entry.batchId),
    credentialsStopTimes(sources.store),
  ]);
  const data = {
    ...toBatchJson(overviewOf(batch, sources.now(), control, stops)),
    spend: toBatchSpendJson(spend, sources.prices),
    results_url: apiLink(sources.apiPublicUrl, "batches", entry.batchId, "results"),
  };
  if (entry.type === "batch.paused") {
    return {
      type: "batch.paused",
      timestamp,
      data: { ...data, reason: entry.reason ?? "budget", detail: entry.detail ?? null },
    };
  }
  return { type: "batch.completed", timestamp, data };
}

function itemData(result: ItemResult, base: string | undefined) {
  const json = toResultJson({ ...result, status: result.status });
  if (json.status !== "completed" && json.status !== "failed" && json.status !== "cancelled") {
    throw new Error("an item event needs a final result");
  }
  return {
    ...json,
    files: json.files.map((file, i) => {
      const index = result.files[i]?.index ?? i;
      return {
        ...file,
        index,
        url: apiLink(base, "files", result.batchId, result.customId, index),
      };
    }),
  };
}
