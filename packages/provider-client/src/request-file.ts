import { type Dispatcher, request } from "undici";
import { failureWithoutAnswer, providerFailure } from "./call-failure.ts";
import type { ProviderCallContext } from "./provider-call-context.ts";

const REDIRECT_STATUSES: ReadonlySet<number> = new Set([300, 301, 302, 303, 307, 308]);

const TARGET = { operation: "download", endpoint: "file" } as const;

/** The GET of one result file. */
export interface FileRequest {
  /** An http(s) URL (the caller checked it). */
  url: URL;
  signal: AbortSignal | undefined;
}

/**
 * Sends the GET for a file and follows up to `maxDownloadRedirections` redirects itself, so that
 * each hop is checked: a Location that is not an http(s) URL (`file:`, `ftp:`, …) is refused as
 * `invalid_request` (permanent: asking again gets the same answer), and the API key is sent only
 * while every hop so far stays on the API's origin. Resolves with the first answer that is not a
 * followed redirect (after the last allowed hop a 3xx comes back as it is).
 */
export async function requestFile(
  context: ProviderCallContext,
  { url, signal }: FileRequest,
): Promise<Dispatcher.ResponseData> {
  let current = url;
  let onApiOrigin = current.origin === context.origin;
  for (let hop = 0; ; hop += 1) {
    let response: Dispatcher.ResponseData;
    try {
      response = await request(current, {
        dispatcher: context.agent,
        method: "GET",
        headers: onApiOrigin ? { authorization: `Bearer ${context.apiKey}` } : {},
        signal,
        bodyTimeout: context.settings.downloadBodyTimeoutMs,
      });
    } catch (error) {
      throw failureWithoutAnswer(context, { ...TARGET, error, requestSent: true, signal });
    }
    const location = firstValue(response.headers.location);
    if (
      !REDIRECT_STATUSES.has(response.statusCode) ||
      location === undefined ||
      hop >= context.settings.maxDownloadRedirections
    ) {
      return response;
    }
    // A small redirect body is read so the socket goes back to the pool.
    await response.body.dump().catch(() => undefined);
    const next = parseLocation(location, current);
    if (next === undefined || (next.protocol !== "http:" && next.protocol !== "https:")) {
      throw providerFailure(context, {
        kind: "invalid_request",
        ...TARGET,
        status: response.statusCode,
        detail: `file URL redirected to ${next === undefined ? "an invalid URL" : `a ${next.protocol} URL`}; only http(s) is followed`,
      });
    }
    onApiOrigin = onApiOrigin && next.origin === context.origin;
    current = next;
  }
}

function parseLocation(location: string, base: URL): URL | undefined {
  try {
    return new URL(location, base);
  } catch {
    return undefined;
  }
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
