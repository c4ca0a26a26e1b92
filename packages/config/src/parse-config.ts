import { readFileSync } from "node:fs";
import { type ApiKeyEntry, buildKeyPool } from "./api-key-pool.ts";
import { CONFIG_FIELDS, type ConfigField, type VeoqConfig } from "./config-fields.ts";
import { chooseRedisTarget, type RedisTargetFields } from "./redis-target.ts";

/** Raised once at start with every invalid variable named in one readable message. */
export class ConfigError extends Error {
  readonly problems: readonly { env: string; message: string }[];

  constructor(problems: readonly { env: string; message: string }[]) {
    super(`invalid configuration: ${problems.map((p) => `${p.env} ${p.message}`).join("; ")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Parses the environment once into a typed config. Empty strings count as unset. The value of a
 * variable is never echoed in an error (it may be a secret).
 */
export function parseConfig(env: Environment): VeoqConfig {
  const problems: { env: string; message: string }[] = [];
  const config: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(CONFIG_FIELDS) as [string, ConfigField<unknown>][]) {
    const raw = env[spec.env];
    const value = raw === undefined || raw === "" ? spec.default : raw;
    const parsed = spec.schema.safeParse(value);
    if (parsed.success) {
      config[key] = parsed.data;
    } else {
      const message = parsed.error.issues[0]?.message ?? "is invalid";
      problems.push({ env: spec.env, message: value === undefined ? "is required" : message });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  if ((config.awsAccessKeyId === undefined) !== (config.awsSecretAccessKey === undefined)) {
    throw new ConfigError([
      {
        env: config.awsAccessKeyId === undefined ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
        message: "is required with the other of AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY",
      },
    ]);
  }
  const chosen = chooseRedisTarget(config as unknown as RedisTargetFields, env);
  if ("problems" in chosen) throw new ConfigError(chosen.problems);
  const apiKeys = readKeyPool(config as unknown as VeoqConfig);
  return { ...config, redis: chosen.target, apiKeys } as unknown as VeoqConfig;
}

/** The key pool from JIEKOU_API_KEY, JIEKOU_API_KEYS or the file JIEKOU_API_KEYS_FILE names. */
function readKeyPool(config: VeoqConfig): ApiKeyEntry[] {
  let file: { path: string; text: string } | undefined;
  if (config.apiKeysFile !== undefined) {
    try {
      file = { path: config.apiKeysFile, text: readFileSync(config.apiKeysFile, "utf8") };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
      throw new ConfigError([
        { env: "JIEKOU_API_KEYS_FILE", message: `names a file that cannot be read (${code})` },
      ]);
    }
  }
  const pool = buildKeyPool(
    { single: config.apiKey, list: config.apiKeyList, file },
    { rpm: config.providerRpm, maxInFlight: config.maxInFlight },
  );
  if ("problems" in pool) throw new ConfigError(pool.problems);
  return pool.keys;
}

/**
 * The API keys (at least one), or a ConfigError naming JIEKOU_API_KEY: for processes that talk
 * to the provider.
 */
export function requireApiKeys(config: VeoqConfig): readonly ApiKeyEntry[] {
  const first = config.apiKeys[0];
  if (first === undefined) requireApiKey(config);
  return config.apiKeys;
}

/** The API key, or a ConfigError naming JIEKOU_API_KEY: for processes that talk to the provider. */
export function requireApiKey(config: VeoqConfig): string {
  const first = config.apiKeys[0];
  if (first !== undefined) return first.secret;
  if (config.apiKey === undefined) {
    throw new ConfigError([
      {
        env: "JIEKOU_API_KEY",
        message:
          "is required to talk to the provider (or a key pool: JIEKOU_API_KEYS or JIEKOU_API_KEYS_FILE; for the simulator: start `veoq mock` and set JIEKOU_API_KEY=sim-key JIEKOU_BASE_URL=http://127.0.0.1:4010)",
      },
    ]);
  }
  return config.apiKey;
}

/** Rows for the README's configuration table. */
export function describeConfig(): { env: string; default: string; description: string }[] {
  return Object.values(CONFIG_FIELDS).map((f: ConfigField<unknown>) => ({
    env: f.env,
    default: f.default ?? "(unset)",
    description: f.description,
  }));
}
