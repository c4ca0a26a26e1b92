export {
  findFreePort,
  isRedisServerInstalled,
  type LocalRedis,
  type LocalRedisOptions,
  REDIS_CONF_PATH,
  RedisServerNotFoundError,
  startLocalRedis,
} from "./start-local-redis.ts";
