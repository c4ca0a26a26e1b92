import { Agent } from "undici";
import {
  PROVIDER_CLIENT_DEFAULTS,
  type ProviderClientOptions,
  type ProviderRequestEvent,
} from "./provider-client-options.ts";
import { redactSecret } from "./redact-secret.ts";

/** The settings of one client: every option with its default filled in. */
export type ProviderClientSettings = {
  -readonly [K in keyof typeof PROVIDER_CLIENT_DEFAULTS]: number;
};

/**
 * What every call of one client shares: its settings, the API's address and key, the connection
 * pool, the clock, the metrics hook and the one redaction of provider text. Built once by
 * `createProviderClient`; the API calls and the file downloads take it as their first argument.
 */
export interface ProviderCallContext {
  settings: ProviderClientSettings;
  apiKey: string;
  /** Origin of the API, e.g. `https://api.jiekou.ai`. */
  origin: string;
  /** Path prefix of the API without a trailing slash (`""` when none). */
  basePath: string;
  /** Keep-alive pool for every call (API calls are never redirected; files follow redirects hop by hop). */
  agent: Agent;
  now: () => number;
  onRequest: ((event: ProviderRequestEvent) => void) | undefined;
  /** Removes the API key from a text that came from outside. */
  redact: (text: string) => string;
}

/** Checks the options, fills in the defaults and opens the pool. */
export function createProviderCallContext(options: ProviderClientOptions): ProviderCallContext {
  const settings = settingsFrom(options);
  const base = new URL(options.baseUrl);
  if (base.protocol !== "http:" && base.protocol !== "https:") {
    throw new TypeError(`baseUrl must be an http(s) URL, got ${base.protocol}`);
  }
  const agent = new Agent({
    connections: settings.connections,
    keepAliveTimeout: settings.keepAliveTimeoutMs,
    headersTimeout: settings.headersTimeoutMs,
    bodyTimeout: settings.bodyTimeoutMs,
    connect: { timeout: settings.connectTimeoutMs },
  });
  const apiKey = options.apiKey;
  return {
    settings,
    apiKey,
    origin: base.origin,
    basePath: base.pathname.replace(/\/+$/, ""),
    agent,
    now: options.now ?? Date.now,
    onRequest: options.onRequest,
    redact: (text) => redactSecret(text, apiKey),
  };
}

/** Each tunable from the options when given, else its default. */
function settingsFrom(options: ProviderClientOptions): ProviderClientSettings {
  const settings: ProviderClientSettings = { ...PROVIDER_CLIENT_DEFAULTS };
  for (const name of Object.keys(settings) as (keyof ProviderClientSettings)[]) {
    const given = (options as Partial<ProviderClientSettings>)[name];
    if (given !== undefined) settings[name] = given;
  }
  return settings;
}
