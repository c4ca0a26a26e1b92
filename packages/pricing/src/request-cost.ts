import {
  type CreateRequest,
  durationSecondsOf,
  type EndpointSlug,
  sampleCountOf,
} from "@veoq/contract";
import { type PriceTable, priceKey, type Resolution } from "./price-table.ts";

/** What one create request costs, and what it bills on. */
export interface RequestCost {
  model: EndpointSlug;
  resolution: Resolution;
  audio: boolean;
  /** Seconds of video over all samples (duration × sample_count). */
  videoSeconds: number;
  costMicros: number;
}

/** The resolution a (valid) request renders at: `resolution`, default 720p. */
export function resolutionOf(input: Readonly<Record<string, unknown>>): Resolution {
  return input.resolution === "1080p" ? "1080p" : "720p";
}

/** Whether a (valid) request renders audio: `generate_audio`, default false (Lite's default). */
export function audioOf(input: Readonly<Record<string, unknown>>): boolean {
  return input.generate_audio === true;
}

/** The price of one create request of a valid manifest entry. */
export function requestCost(
  table: PriceTable,
  model: EndpointSlug,
  input: Readonly<Record<string, unknown>>,
): RequestCost {
  const body = input as CreateRequest;
  const resolution = resolutionOf(input);
  const audio = audioOf(input);
  const videoSeconds = durationSecondsOf(model, body) * sampleCountOf(model, body);
  // parsePriceTable guarantees a price for every model × resolution × audio.
  const perSecond = table.perSecondMicros.get(priceKey(model, resolution, audio)) ?? 0;
  return { model, resolution, audio, videoSeconds, costMicros: perSecond * videoSeconds };
}
