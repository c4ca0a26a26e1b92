import { z } from "zod";
import type { ApiKeyEntry } from "./api-key-pool.ts";
import type { RedisTarget } from "./redis-target.ts";

/**
 * Every environment variable veoq reads, with its default and meaning. This table is the single
 * source of truth: `parseConfig` builds the typed config from it and the README's configuration
 * table is checked against it by a test.
 */
export interface ConfigField<T> {
  /** Environment variable name. */
  env: string;
  /** Default as the user would type it; undefined means "unset" (optional or required). */
  default: string | undefined;
  /** What it does, for the README table and error messages. */
  description: string;
  /** Parses the raw string (after defaulting). */
  schema: z.ZodType<T>;
}

function field<T>(
  env: string,
  defaultValue: string | undefined,
  description: string,
  schema: z.ZodType<T>,
): ConfigField<T> {
  return { env, default: defaultValue, description, schema };
}

const positiveInt = (max = 1_000_000) =>
  z.coerce.number({ error: "must be a number" }).int("must be a whole number").min(1).max(max);
const nonNegativeInt = (max = 1_000_000_000) =>
  z.coerce.number({ error: "must be a number" }).int("must be a whole number").min(0).max(max);
const positiveNumber = z.coerce.number({ error: "must be a number" }).positive("must be > 0");
const flag = z
  .enum(["0", "1", "true", "false", "yes", "no"], { error: "must be 1/0, true/false or yes/no" })
  .transform((v) => v === "1" || v === "true" || v === "yes");
const httpUrl = z
  .string()
  .url("must be a URL")
  .refine((v) => /^https?:\/\//.test(v), "must start with http:// or https://")
  .transform((v) => v.replace(/\/+$/, ""));
const redisUrl = z
  .string()
  .refine((v) => /^rediss?:\/\//.test(v), "must start with redis:// or rediss://");

/** `s3://bucket/prefix` as bucket and prefix (no leading or trailing slash; may be ""). */
const s3Url = z
  .string()
  .refine((v) => /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[A-Za-z0-9._/-]{0,512})?$/.test(v), {
    message:
      "must be s3://bucket or s3://bucket/prefix (bucket: lower-case letters, digits, dots, dashes)",
  })
  .transform((v) => {
    const rest = v.slice("s3://".length);
    const slash = rest.indexOf("/");
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const prefix =
      slash < 0
        ? ""
        : rest
            .slice(slash + 1)
            .replace(/^\/+|\/+$/g, "")
            .replace(/\/{2,}/g, "/");
    return { bucket, prefix };
  })
  .refine(
    (v) => !v.prefix.split("/").some((s) => s === "." || s === ".."),
    "prefix cannot hold . or .. segments",
  );

/** `host:port,host:port`: seeds of a cluster or the sentinels of a Sentinel group. */
const hostPortList = z
  .string()
  .transform((v) => v.split(",").map((entry) => entry.trim()))
  .refine((list) => list.length <= 64, "lists at most 64 host:port entries")
  .refine(
    (list) =>
      list.every((entry) => {
        const match = /^([A-Za-z0-9._-]{1,253}|\[[0-9A-Fa-f:]+\]):(\d{1,5})$/.exec(entry);
        return match !== null && Number(match[2]) >= 1 && Number(match[2]) <= 65_535;
      }),
    "must be comma-separated host:port entries",
  )
  .transform((list) =>
    list.map((entry) => {
      const at = entry.lastIndexOf(":");
      return {
        host: entry.slice(0, at).replace(/^\[|\]$/g, ""),
        port: Number(entry.slice(at + 1)),
      };
    }),
  );

/** The non-empty entries of a comma-separated value, trimmed. */
function commaList(value: string): string[] {
  return value
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
}

/** The webhook event types (the same list as @veoq/pipeline WEBHOOK_EVENT_TYPES). */
const WEBHOOK_EVENTS = [
  "batch.completed",
  "batch.paused",
  "item.failed",
  "item.completed",
] as const;

const webhookEventList = z
  .string()
  .transform((v) => commaList(v))
  .refine(
    (list) => list.every((e) => (WEBHOOK_EVENTS as readonly string[]).includes(e)),
    `must be a comma-separated list of ${WEBHOOK_EVENTS.join(", ")}`,
  )
  .transform((list) => [...new Set(list)] as (typeof WEBHOOK_EVENTS)[number][]);

/** "5s,5m,30m,2h": delays in ms (units ms, s, m, h). */
const durationList = z
  .string()
  .transform((v) => commaList(v))
  .refine(
    (list) =>
      list.length >= 1 && list.length <= 50 && list.every((e) => /^\d{1,9}(ms|s|m|h)$/.test(e)),
    "must be 1-50 comma-separated delays such as 500ms, 5s, 5m or 2h",
  )
  .transform((list) =>
    list.map((e) => {
      const [, n, unit] = /^(\d+)(ms|s|m|h)$/.exec(e) as RegExpExecArray;
      const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as "ms" | "s" | "m" | "h"];
      return Number(n) * factor;
    }),
  );

export const CONFIG_FIELDS = {
  redisUrl: field(
    "REDIS_URL",
    "redis://127.0.0.1:6379",
    "Redis connection URL of a standalone Redis (set exactly one of REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS)",
    redisUrl,
  ),
  redisClusterNodes: field(
    "REDIS_CLUSTER_NODES",
    undefined,
    "Redis Cluster seed nodes, comma-separated host:port (any few nodes of the cluster)",
    hostPortList.optional(),
  ),
  redisSentinels: field(
    "REDIS_SENTINELS",
    undefined,
    "Redis Sentinel addresses, comma-separated host:port; needs REDIS_SENTINEL_NAME",
    hostPortList.optional(),
  ),
  redisSentinelName: field(
    "REDIS_SENTINEL_NAME",
    undefined,
    "Name of the master the sentinels watch (`sentinel monitor <name> ...`)",
    z.string().min(1).max(200).optional(),
  ),
  redisUsername: field(
    "REDIS_USERNAME",
    undefined,
    "Redis ACL user for cluster or sentinel-managed nodes (with REDIS_URL, put it in the URL)",
    z.string().min(1).max(200).optional(),
  ),
  redisPassword: field(
    "REDIS_PASSWORD",
    undefined,
    "Password of the Redis nodes for REDIS_CLUSTER_NODES or REDIS_SENTINELS (never logged)",
    z.string().min(1).max(1000).optional(),
  ),
  redisSentinelPassword: field(
    "REDIS_SENTINEL_PASSWORD",
    undefined,
    "Password of the sentinels themselves, when they have one (never logged)",
    z.string().min(1).max(1000).optional(),
  ),
  redisTls: field(
    "REDIS_TLS",
    "0",
    "1 connects to cluster nodes, sentinels and the master over TLS (with REDIS_URL use rediss://)",
    flag,
  ),
  prefix: field(
    "VEOQ_PREFIX",
    "{veoq}",
    "Key prefix of every queue and record; the braces make it a Redis Cluster hash tag",
    z.string().min(1).max(64),
  ),
  apiKey: field(
    "JIEKOU_API_KEY",
    undefined,
    "jiekou.ai API key; required by workers that talk to the provider (never logged)",
    z.string().min(1).optional(),
  ),
  apiKeyList: field(
    "JIEKOU_API_KEYS",
    undefined,
    "Several jiekou.ai API keys, comma-separated (a key pool; instead of JIEKOU_API_KEY): each create goes to the key with the most free capacity; each key is known by `key-` and a short hash (never logged)",
    z.string().min(1).max(100_000).optional(),
  ),
  apiKeysFile: field(
    "JIEKOU_API_KEYS_FILE",
    undefined,
    "Path of a key pool file (instead of JIEKOU_API_KEY): one key a line, or `name=key rpm=.. max_in_flight=.. daily_budget=.. weight=..`; `#` comments",
    z.string().min(1).max(4096).optional(),
  ),
  baseUrl: field(
    "JIEKOU_BASE_URL",
    "https://api.jiekou.ai",
    "Provider base URL (point it at `veoq mock` for the simulator)",
    httpUrl,
  ),
  outputDir: field(
    "VEOQ_OUTPUT_DIR",
    "./output",
    "Where videos are saved, as <dir>/<batch>/<custom_id>/<n>.mp4",
    z.string().min(1),
  ),
  outputUrl: field(
    "VEOQ_OUTPUT_URL",
    undefined,
    "s3://bucket/prefix: store outputs (and input images) in an S3-compatible bucket instead of VEOQ_OUTPUT_DIR",
    s3Url.optional(),
  ),
  awsEndpointUrl: field(
    "AWS_ENDPOINT_URL",
    undefined,
    "Endpoint of an S3-compatible store (unset: AWS S3 of AWS_REGION)",
    httpUrl.optional(),
  ),
  awsRegion: field("AWS_REGION", "us-east-1", "Region of the bucket", z.string().min(1).max(64)),
  awsAccessKeyId: field(
    "AWS_ACCESS_KEY_ID",
    undefined,
    "Access key of the bucket (unset: the AWS SDK's default credential chain)",
    z.string().min(1).max(256).optional(),
  ),
  awsSecretAccessKey: field(
    "AWS_SECRET_ACCESS_KEY",
    undefined,
    "Secret key of the bucket (never logged)",
    z.string().min(1).max(1024).optional(),
  ),
  s3ForcePathStyle: field(
    "VEOQ_S3_FORCE_PATH_STYLE",
    "0",
    "1 addresses the bucket as <endpoint>/<bucket> (S3-compatible servers addressed by IP or localhost)",
    flag,
  ),
  submitConcurrency: field(
    "VEOQ_SUBMIT_CONCURRENCY",
    "4",
    "Create requests in flight per worker process",
    positiveInt(1000),
  ),
  pollConcurrency: field(
    "VEOQ_POLL_CONCURRENCY",
    "32",
    "Task-result polls in flight per worker process",
    positiveInt(10_000),
  ),
  downloadConcurrency: field(
    "VEOQ_DOWNLOAD_CONCURRENCY",
    "4",
    "Downloads in flight per worker process",
    positiveInt(1000),
  ),
  // 512 MiB: a Veo video is at most 8 s of 1080p, a few tens of MB; the margin admits other
  // encodings while a runaway or hostile body still stops long before it fills the disk.
  // Same default as the client's PROVIDER_CLIENT_DEFAULTS.maxDownloadBytes.
  maxDownloadBytes: field(
    "VEOQ_MAX_DOWNLOAD_BYTES",
    "536870912",
    "Largest result file downloaded, in bytes (512 MiB: far above an 8 s 1080p video, a few tens of MB); a bigger one fails the item",
    positiveInt(Number.MAX_SAFE_INTEGER),
  ),
  submitAttempts: field(
    "VEOQ_SUBMIT_ATTEMPTS",
    "8",
    "Tries of a create request on transient or ambiguous errors before the item fails",
    positiveInt(100),
  ),
  downloadAttempts: field(
    "VEOQ_DOWNLOAD_ATTEMPTS",
    "8",
    "Tries of a download on transient errors before the item fails",
    positiveInt(100),
  ),
  verifyOutputs: field(
    "VEOQ_VERIFY_OUTPUTS",
    "fail",
    "Check each saved video (complete MP4, duration, size, audio): fail fails the item, warn keeps and flags it, off",
    z.enum(["fail", "warn", "off"], { error: "must be fail, warn or off" }),
  ),
  retryBaseMs: field(
    "VEOQ_RETRY_BASE_MS",
    "1000",
    "First retry delay of submits and downloads; doubles each try, with jitter",
    positiveInt(3_600_000),
  ),
  maxResubmits: field(
    "VEOQ_MAX_RESUBMITS",
    "2",
    "New tasks created for an item whose task FAILED with a reason that looks transient",
    nonNegativeInt(20),
  ),
  pollMinIntervalSeconds: field(
    "VEOQ_POLL_MIN_INTERVAL_SECONDS",
    "2",
    "Shortest time between two polls of one task (provider seconds)",
    positiveNumber,
  ),
  pollMaxIntervalSeconds: field(
    "VEOQ_POLL_MAX_INTERVAL_SECONDS",
    "30",
    "Longest time between two polls of one task (provider seconds)",
    positiveNumber,
  ),
  pollDeadlineSeconds: field(
    "VEOQ_POLL_DEADLINE_SECONDS",
    "1800",
    "A task not final this long after its creation fails as timed out (provider seconds)",
    positiveNumber,
  ),
  timeScale: field(
    "VEOQ_TIME_SCALE",
    "1",
    "Real seconds per provider second in the poll policy; only for the simulator's fast time (e.g. 0.01)",
    positiveNumber,
  ),
  maxInFlight: field(
    "VEOQ_MAX_IN_FLIGHT",
    "50",
    "Most tasks in flight at the provider per API key, across all workers; set to the measured limit on a concurrency 429, probed upward slowly",
    positiveInt(100_000),
  ),
  prices: field(
    "VEOQ_PRICES",
    undefined,
    "Path of your price table (JSON, per second of video by model, resolution and audio); unset: the shipped, unverified list prices",
    z.string().min(1).max(4096).optional(),
  ),
  dailyBudget: field(
    "VEOQ_DAILY_BUDGET",
    undefined,
    "Most money spent on creates per UTC day across all batches, in the price table's currency; unset: no daily cap",
    z
      .string()
      .regex(/^\d{1,12}(\.\d{1,6})?$/, "must be an amount such as 500 or 12.50")
      .transform(Number)
      .optional(),
  ),
  batchRetentionDays: field(
    "VEOQ_BATCH_RETENTION_DAYS",
    "30",
    "Days a finished batch's records (items, results, index entries; not its files) are kept after its last item became final; then workers delete them and the batch list drops it (0 = keep forever)",
    nonNegativeInt(36_500),
  ),
  providerRpm: field(
    "VEOQ_PROVIDER_RPM",
    "50",
    "Most creates per real wall-clock minute per API key, across all workers (0 = no pacing); a 429 with Retry-After still wins",
    nonNegativeInt(100_000),
  ),
  lockDurationMs: field(
    "VEOQ_LOCK_DURATION_MS",
    "15000",
    "Job lock lifetime; a killed worker's jobs are taken over this long after its last renewal",
    positiveInt(3_600_000),
  ),
  stalledIntervalMs: field(
    "VEOQ_STALLED_INTERVAL_MS",
    "5000",
    "How often workers look for jobs of dead workers (stalled jobs)",
    positiveInt(3_600_000),
  ),
  drainSeconds: field(
    "VEOQ_DRAIN_SECONDS",
    "30",
    "On SIGTERM a worker waits this long for jobs in progress, then leaves them to stall recovery; keep a pod's terminationGracePeriodSeconds above it",
    positiveInt(86_400),
  ),
  workerStallSeconds: field(
    "VEOQ_WORKER_STALL_SECONDS",
    "300",
    "A worker's /livez fails when one of its queues has had jobs due this long without the worker taking or finishing any (a wedged worker); keep it above the longest single step",
    positiveInt(86_400),
  ),
  logLevel: field(
    "LOG_LEVEL",
    "info",
    "pino log level: fatal, error, warn, info, debug, trace or silent",
    z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
      error: "must be one of fatal, error, warn, info, debug, trace, silent",
    }),
  ),
  checkRedisDurability: field(
    "VEOQ_CHECK_REDIS_DURABILITY",
    "1",
    "Warn at start when Redis may evict or lose jobs (maxmemory-policy, AOF)",
    flag,
  ),
  dashboardUser: field(
    "DASHBOARD_USER",
    undefined,
    "Dashboard HTTP basic auth user; with DASHBOARD_PASSWORD required to listen on anything but loopback",
    z.string().min(1).max(200).optional(),
  ),
  dashboardPassword: field(
    "DASHBOARD_PASSWORD",
    undefined,
    "Dashboard HTTP basic auth password (never logged)",
    z.string().min(1).max(1000).optional(),
  ),
  dashboardReadOnly: field(
    "DASHBOARD_READ_ONLY",
    "0",
    "1 hides and refuses every mutating action of the dashboard (retry buttons, Bull Board's actions)",
    flag,
  ),
  dashboardHost: field(
    "DASHBOARD_HOST",
    "127.0.0.1",
    "Interface `veoq dashboard` listens on",
    z.string().min(1).max(255),
  ),
  dashboardAllowedHosts: field(
    "DASHBOARD_ALLOWED_HOSTS",
    undefined,
    "Comma-separated extra names the dashboard answers to in the Host header (behind a proxy, a LAN name); loopback and DASHBOARD_HOST always are",
    z
      .string()
      .max(2000)
      .optional()
      .transform((v) => commaList(v ?? ""))
      .refine(
        (names) =>
          names.every((name) => /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+|[0-9a-fA-F:]+)$/.test(name)),
        "must be host names separated by commas (no scheme, port or path)",
      ),
  ),
  dashboardPort: field(
    "DASHBOARD_PORT",
    "3000",
    "Port `veoq dashboard` listens on",
    positiveInt(65_535),
  ),
  webhookSecret: field(
    "VEOQ_WEBHOOK_SECRET",
    undefined,
    "Signing secret of webhooks out, `whsec_` + base64 (Standard Webhooks); required to send any (never logged)",
    z
      .string()
      .regex(
        /^whsec_[A-Za-z0-9+/]{16,}={0,2}$/,
        "must be whsec_ followed by base64 (at least 12 bytes)",
      )
      .optional(),
  ),
  webhookUrls: field(
    "VEOQ_WEBHOOK_URLS",
    undefined,
    "Account-wide webhook endpoints, comma-separated http(s) URLs: they get the events of every batch",
    z
      .string()
      .max(10_000)
      .optional()
      .transform((v) => commaList(v ?? ""))
      .refine(
        (urls) => urls.every((u) => /^https?:\/\/[^\s]+$/.test(u) && URL.canParse(u)),
        "must be comma-separated http:// or https:// URLs",
      ),
  ),
  webhookEvents: field(
    "VEOQ_WEBHOOK_EVENTS",
    "batch.completed,batch.paused,item.failed",
    "Events sent to VEOQ_WEBHOOK_URLS: batch.completed, batch.paused, item.failed, item.completed",
    webhookEventList,
  ),
  webhookRetrySchedule: field(
    "VEOQ_WEBHOOK_RETRY_SCHEDULE",
    "5s,5m,30m,2h,5h,10h,10h",
    "Delays between the tries of one webhook delivery (after the first try; units ms, s, m, h); a 429's Retry-After wins",
    durationList,
  ),
  webhookTimeoutMs: field(
    "VEOQ_WEBHOOK_TIMEOUT_MS",
    "15000",
    "How long one webhook delivery waits for the endpoint's answer before the try counts as failed",
    positiveInt(300_000),
  ),
  webhookAllowPrivate: field(
    "VEOQ_WEBHOOK_ALLOW_PRIVATE",
    "0",
    "1 lets webhooks go to private, loopback and link-local addresses (refused by default: SSRF guard)",
    flag,
  ),
  webhookConcurrency: field(
    "VEOQ_WEBHOOK_CONCURRENCY",
    "8",
    "Webhook deliveries in flight per worker process",
    positiveInt(1000),
  ),
  apiPublicUrl: field(
    "VEOQ_API_PUBLIC_URL",
    undefined,
    "Base URL at which webhook receivers reach `veoq api`: payloads link results and files under it (unset: paths such as /v1/files/...)",
    httpUrl.optional(),
  ),
  apiHost: field(
    "VEOQ_API_HOST",
    "127.0.0.1",
    "Interface `veoq api` listens on; anything but loopback needs VEOQ_API_TOKENS",
    z.string().min(1).max(255),
  ),
  apiPort: field("VEOQ_API_PORT", "3001", "Port `veoq api` listens on", positiveInt(65_535)),
  apiTokens: field(
    "VEOQ_API_TOKENS",
    undefined,
    "Comma-separated `name=token:scope` bearer tokens of the HTTP API (scope read or write; write includes read; tokens of 16-512 characters, never logged or stored)",
    z
      .string()
      .max(100_000)
      .optional()
      .transform((v, ctx) => {
        const tokens: { name: string; token: string; scope: "read" | "write" }[] = [];
        for (const entry of (v ?? "").split(",").map((e) => e.trim())) {
          if (entry === "") continue;
          // The token may hold ":" and "=", so the name ends at the first "=" and the scope
          // starts after the last ":". A message never quotes the entry (it holds a secret).
          const eq = entry.indexOf("=");
          const colon = entry.lastIndexOf(":");
          const name = entry.slice(0, Math.max(0, eq));
          const token = entry.slice(eq + 1, colon);
          const scope = entry.slice(colon + 1);
          const problem =
            eq < 1 || colon < eq
              ? "must be comma-separated name=token:scope entries"
              : !/^[A-Za-z0-9._-]{1,64}$/.test(name)
                ? "has a name that is not 1-64 characters of A-Z a-z 0-9 . _ -"
                : token.length < 16 || token.length > 512 || /\s/.test(token)
                  ? `has a token (for ${name}) that is not 16-512 characters without spaces`
                  : scope !== "read" && scope !== "write"
                    ? `has a scope (for ${name}) that is not read or write`
                    : tokens.some((t) => t.name === name)
                      ? `names ${name} twice`
                      : undefined;
          if (problem !== undefined) {
            ctx.addIssue({ code: "custom", message: problem });
            return z.NEVER;
          }
          tokens.push({ name, token, scope: scope as "read" | "write" });
        }
        return tokens;
      }),
  ),
  apiMaxBodyBytes: field(
    "VEOQ_API_MAX_BODY_BYTES",
    "16777216",
    "Largest JSON request body of the API (read whole); larger is 413",
    positiveInt(1_073_741_824),
  ),
  apiMaxManifestBytes: field(
    "VEOQ_API_MAX_MANIFEST_BYTES",
    "1073741824",
    "Largest NDJSON manifest upload of the API (streamed to a temp file, never held whole); larger is 413",
    positiveInt(68_719_476_736),
  ),
  apiRateLimit: field(
    "VEOQ_API_RATE_LIMIT",
    "600",
    "Requests per minute per API token (a bucket of that size refilled evenly); past it 429 with Retry-After; 0: no limit",
    nonNegativeInt(1_000_000),
  ),
  apiImageDir: field(
    "VEOQ_API_IMAGE_DIR",
    undefined,
    "Folder local image paths in manifests uploaded to the API resolve against (paths outside it are invalid lines); unset: only URLs, data URIs and base64 images are accepted over the API",
    z.string().min(1).max(4096).optional(),
  ),
} as const;

export type ConfigFields = typeof CONFIG_FIELDS;
export type VeoqConfig = {
  [K in keyof ConfigFields]: ConfigFields[K] extends ConfigField<infer T> ? T : never;
} & {
  /** Where Redis is, chosen from REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS. */
  redis: RedisTarget;
  /**
   * The provider API keys (api-key-pool.ts), from JIEKOU_API_KEY, JIEKOU_API_KEYS or
   * JIEKOU_API_KEYS_FILE; empty when none is set.
   */
  apiKeys: readonly ApiKeyEntry[];
};
