export { CONFIG_FIELDS, type ConfigField, type VeoqConfig } from "./config-fields.ts";
export { isLoopbackHost, listeningUrl } from "./loopback-host.ts";
export {
  ConfigError,
  describeConfig,
  type Environment,
  parseConfig,
  requireApiKey,
} from "./parse-config.ts";
export {
  chooseRedisTarget,
  describeRedisTarget,
  type HostPort,
  type RedisAuth,
  type RedisTarget,
} from "./redis-target.ts";
export { secretValues } from "./secret-values.ts";
