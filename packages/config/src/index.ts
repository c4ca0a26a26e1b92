export {
  type ApiKeyEntry,
  apiKeyHash,
  buildKeyPool,
  type KeyDefaults,
  unnamedKeyName,
} from "./api-key-pool.ts";
export { CONFIG_FIELDS, type ConfigField, type VeoqConfig } from "./config-fields.ts";
export { isLoopbackHost, listeningUrl } from "./loopback-host.ts";
export {
  ConfigError,
  describeConfig,
  type Environment,
  parseConfig,
  requireApiKey,
  requireApiKeys,
} from "./parse-config.ts";
export {
  chooseRedisTarget,
  describeRedisTarget,
  type HostPort,
  type RedisAuth,
  type RedisTarget,
} from "./redis-target.ts";
export { secretValues } from "./secret-values.ts";
