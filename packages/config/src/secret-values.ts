import type { VeoqConfig } from "./config-fields.ts";

/**
 * Every credential the configuration holds, for the logger's value scrubber: the API keys, the
 * dashboard password, the S3 secret key, the Redis passwords (REDIS_PASSWORD,
 * REDIS_SENTINEL_PASSWORD, and the one inside REDIS_URL, as written and URL-decoded), the
 * webhook signing secret and the HTTP API's bearer tokens. Unset ones are left out.
 */
export function secretValues(config: VeoqConfig): string[] {
  const values = [
    config.apiKey,
    ...config.apiKeys.map((k) => k.secret),
    config.dashboardPassword,
    config.awsSecretAccessKey,
    config.redis.auth.password,
    config.redis.auth.sentinelPassword,
    config.webhookSecret,
    ...config.apiTokens.map((t) => t.token),
    ...(config.redis.kind === "standalone" ? urlPasswords(config.redis.url) : []),
  ];
  return [...new Set(values.filter((v): v is string => typeof v === "string" && v !== ""))];
}

function urlPasswords(url: string): string[] {
  try {
    const raw = new URL(url).password;
    if (raw === "") return [];
    let decoded = raw;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      // A malformed escape: the raw form is all there is.
    }
    return [raw, decoded];
  } catch {
    return [];
  }
}
