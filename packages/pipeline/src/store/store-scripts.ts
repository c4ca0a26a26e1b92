// BullMQ's own script behind Job.retry, which requeueFailedJob.lua calls as a function.
import { reprocessJob } from "bullmq/dist/esm/scripts/reprocessJob-8.js";
import type { RedisConnection } from "./connection/redis-connection.ts";
import { STORE_SCRIPTS } from "./scripts/store-scripts.generated.ts";

/**
 * The store's Lua scripts (store/scripts/*.lua, each with its KEYS, ARGV and reply in its
 * header), registered on a connection with ioredis `defineCommand`: ioredis sends a script's
 * text once per connection (EVAL) and then its SHA1 (EVALSHA), and sends the text again when a
 * server answers NOSCRIPT (a restarted Redis, a failover, another cluster node). On a Cluster
 * the command goes to the node of its first key; every script's keys share one hash tag.
 */
export type StoreScriptName = keyof typeof STORE_SCRIPTS;

/** BullMQ scripts a `--- @bullmq "<name>"` line of a store script stands for. */
const BULLMQ_SCRIPTS: Readonly<Record<string, string>> = {
  "reprocessJob-8": reprocessJob.content,
};

const BULLMQ_LINE = /^--- @bullmq "([^"]+)"\s*$/gm;

/** The Lua a script runs: its generated text with the BullMQ scripts it names put in. */
export function storeScriptSource(name: StoreScriptName): string {
  return STORE_SCRIPTS[name].replace(BULLMQ_LINE, (_line, script: string) => {
    const content = BULLMQ_SCRIPTS[script];
    if (content === undefined)
      throw new Error(`store script ${name}: unknown BullMQ script ${script}`);
    return content;
  });
}

/** Every store script's name (the bench names the scripts it sees run by their SHA1). */
export function storeScriptNames(): StoreScriptName[] {
  return Object.keys(STORE_SCRIPTS) as StoreScriptName[];
}

/** The command name a script is defined under on a connection (beside ioredis's own). */
function commandName(name: StoreScriptName): string {
  return `veoq:${name}`;
}

const defined = new WeakSet<RedisConnection>();

/** Defines every store script on a connection (once; later calls do nothing). */
export function defineStoreScripts(redis: RedisConnection): void {
  if (defined.has(redis)) return;
  for (const name of Object.keys(STORE_SCRIPTS) as StoreScriptName[]) {
    redis.defineCommand(commandName(name), { lua: storeScriptSource(name) });
  }
  defined.add(redis);
}

type ScriptCommand = (
  numberOfKeys: number,
  ...keysAndArgs: (string | number)[]
) => Promise<unknown>;

/** Runs a store script with these KEYS and ARGV; its reply as Redis sent it. */
export function runStoreScript(
  redis: RedisConnection,
  name: StoreScriptName,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  defineStoreScripts(redis);
  const command = (redis as unknown as Record<string, ScriptCommand>)[commandName(name)];
  if (command === undefined) throw new Error(`store script ${name} is not defined`);
  return command.call(redis, keys.length, ...keys, ...args);
}
