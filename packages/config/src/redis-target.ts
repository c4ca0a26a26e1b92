import type { Environment } from "./parse-config.ts";

export interface HostPort {
  host: string;
  port: number;
}

/** Credentials and transport shared by every node of the target. */
export interface RedisAuth {
  username: string | undefined;
  password: string | undefined;
  sentinelPassword: string | undefined;
  tls: boolean;
}

/**
 * Where Redis is, from exactly one of REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS. `env`
 * names the variable that chose it, for error messages that tell the user what to change.
 */
export type RedisTarget =
  | { kind: "standalone"; env: "REDIS_URL"; url: string; auth: RedisAuth }
  | { kind: "cluster"; env: "REDIS_CLUSTER_NODES"; nodes: HostPort[]; auth: RedisAuth }
  | {
      kind: "sentinel";
      env: "REDIS_SENTINELS";
      sentinels: HostPort[];
      name: string;
      auth: RedisAuth;
    };

export interface RedisTargetFields {
  redisUrl: string;
  redisClusterNodes: HostPort[] | undefined;
  redisSentinels: HostPort[] | undefined;
  redisSentinelName: string | undefined;
  redisUsername: string | undefined;
  redisPassword: string | undefined;
  redisSentinelPassword: string | undefined;
  redisTls: boolean;
}

/**
 * The target, or the problems that stop one from being chosen (two ways given at once, a
 * sentinel group without its master's name). REDIS_URL counts as given only when set, since it
 * has a default.
 */
export function chooseRedisTarget(
  fields: RedisTargetFields,
  env: Environment,
): { target: RedisTarget } | { problems: { env: string; message: string }[] } {
  const given = [
    env.REDIS_URL ? "REDIS_URL" : undefined,
    fields.redisClusterNodes ? "REDIS_CLUSTER_NODES" : undefined,
    fields.redisSentinels ? "REDIS_SENTINELS" : undefined,
  ].filter((name): name is string => name !== undefined);
  if (given.length > 1) {
    return {
      problems: [
        {
          env: given.join(", "),
          message:
            "are all set: set exactly one of REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS",
        },
      ],
    };
  }
  const auth: RedisAuth = {
    username: fields.redisUsername,
    password: fields.redisPassword,
    sentinelPassword: fields.redisSentinelPassword,
    tls: fields.redisTls,
  };
  if (fields.redisClusterNodes) {
    return {
      target: {
        kind: "cluster",
        env: "REDIS_CLUSTER_NODES",
        nodes: fields.redisClusterNodes,
        auth,
      },
    };
  }
  if (fields.redisSentinels) {
    if (!fields.redisSentinelName) {
      return {
        problems: [
          {
            env: "REDIS_SENTINEL_NAME",
            message: "is required with REDIS_SENTINELS (the master name the sentinels monitor)",
          },
        ],
      };
    }
    return {
      target: {
        kind: "sentinel",
        env: "REDIS_SENTINELS",
        sentinels: fields.redisSentinels,
        name: fields.redisSentinelName,
        auth,
      },
    };
  }
  return { target: { kind: "standalone", env: "REDIS_URL", url: fields.redisUrl, auth } };
}

/** Says where Redis is without any password, for logs and error messages. */
export function describeRedisTarget(target: RedisTarget): string {
  switch (target.kind) {
    case "standalone":
      try {
        const parsed = new URL(target.url);
        parsed.password = "";
        parsed.username = "";
        return parsed.toString();
      } catch {
        return "(unparseable REDIS_URL)";
      }
    case "cluster":
      return `cluster ${target.nodes.map((n) => `${n.host}:${n.port}`).join(",")}`;
    case "sentinel":
      return `sentinel master "${target.name}" via ${target.sentinels.map((n) => `${n.host}:${n.port}`).join(",")}`;
  }
}
