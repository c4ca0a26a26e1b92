import { cpus, totalmem } from "node:os";
import { Redis } from "ioredis";

/** What the figures were measured on. */
export interface Machine {
  cpus: number;
  cpu_model: string;
  memory_gb: number;
  node: string;
  redis: string;
  platform: string;
}

export async function describeMachine(redisUrl: string): Promise<Machine> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    const info = await redis.info("server");
    return {
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model ?? "unknown",
      memory_gb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
      node: process.version,
      redis: /^redis_version:(\S+)/m.exec(info)?.[1] ?? "unknown",
      platform: `${process.platform} ${process.arch}`,
    };
  } finally {
    redis.disconnect();
  }
}
