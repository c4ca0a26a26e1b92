export type { RedisProcess } from "./redis-process.ts";
export {
  type KeyRemovingClient,
  keyPatternsUnder,
  removeKeysUnder,
} from "./remove-keys-under.ts";
export {
  type LocalCluster,
  type LocalClusterNode,
  type LocalClusterOptions,
  startLocalCluster,
} from "./start-local-cluster.ts";
export {
  findFreePort,
  isRedisServerInstalled,
  type LocalRedis,
  type LocalRedisOptions,
  REDIS_CONF_PATH,
  RedisServerNotFoundError,
  startLocalRedis,
} from "./start-local-redis.ts";
export {
  type LocalSentinelGroup,
  type LocalSentinelOptions,
  startLocalSentinel,
} from "./start-local-sentinel.ts";
