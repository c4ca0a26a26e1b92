import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { storeScriptNames, storeScriptSource } from "@veoq/pipeline";
import { Redis } from "ioredis";

/** What one operation cost: the commands sent (`calls`) and those a script ran inside (`inner`). */
export interface OperationCost {
  calls: number;
  inner: number;
}

/** Where the commands went while a trace ran, by operation (see `traceCommands`). */
export interface CommandTrace {
  /** Ends the trace once every command sent so far has been seen; the costs by operation. */
  stop(): Promise<Map<string, OperationCost>>;
}

/**
 * Follows every command the server runs (MONITOR) and names the operation each belongs to: a
 * script by its name, `bullmq:<script>[<queue>]` for BullMQ's (the queue from its keys) and
 * `veoq:<script>` for the store's (`veoq:transitionItem[<new state>]`), with the commands it ran inside counted with it; any other
 * command by its name and key (the hash tag and long numbers left out). Commands of the
 * connections in `ignoreClients` (addresses as CLIENT INFO gives them) are left out. MONITOR
 * slows the server down: count with it, never time.
 */
export async function traceCommands(
  redisUrl: string,
  ignoreClients: readonly string[] = [],
): Promise<CommandTrace> {
  const scripts = knownScripts();
  const costs = new Map<string, OperationCost>();
  const add = (operation: string, field: keyof OperationCost) => {
    const cost = costs.get(operation) ?? { calls: 0, inner: 0 };
    cost[field]++;
    costs.set(operation, cost);
  };
  const marker = `veoq-bench-trace-end-${process.pid}-${Date.now()}`;
  let current = "?";
  let ended: () => void = () => {};
  const end = new Promise<void>((resolve) => {
    ended = resolve;
  });
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const monitor = await connection.monitor();
  monitor.on("monitor", (_time: string, args: string[], source: string) => {
    const command = (args[0] ?? "").toLowerCase();
    if (source === "lua") {
      add(current, "inner");
      return;
    }
    if (command === "echo" && args[1] === marker) {
      ended();
      return;
    }
    if (ignoreClients.includes(source) || HARNESS.has(command)) return;
    current = operationOf(command, args, scripts);
    add(current, "calls");
  });
  return {
    async stop() {
      const sender = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
      try {
        await sender.echo(marker);
        await Promise.race([end, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      } finally {
        sender.disconnect();
        monitor.disconnect();
        connection.disconnect();
      }
      return costs;
    },
  };
}

/** The harness's own commands (reading the counters), not the measured work. */
const HARNESS = new Set(["info", "config", "monitor", "client"]);

/** The address (`addr=`) of a connection, as MONITOR names its commands' source. */
export async function clientAddress(redis: Redis): Promise<string> {
  const info = String(await redis.client("INFO"));
  return /(?:^|\s)addr=(\S+)/.exec(info)?.[1] ?? "";
}

function operationOf(command: string, args: string[], scripts: Map<string, string>): string {
  if (command === "evalsha" || command === "eval") {
    const body = args[1] ?? "";
    const sha = command === "eval" ? createHash("sha1").update(body).digest("hex") : body;
    const name = scripts.get(sha) ?? `script ${sha.slice(0, 8)}`;
    const keys = args.slice(3, 3 + Number(args[2] ?? 0));
    const queue = keys.map((key) => /:(submit|poll|download):/.exec(key)?.[1]).find(Boolean);
    if (name.startsWith("bullmq:") && queue !== undefined) return `${name}[${queue}]`;
    // An item's transition, by the state it moves to (its ARGV[2]).
    if (name === "veoq:transitionItem") return `${name}[${args[3 + keys.length + 1] ?? "?"}]`;
    return name;
  }
  const key = (args[1] ?? "").replace(/\{[^}]*\}/g, "{}").replace(/\d{4,}/g, "N");
  return key === "" ? command : `${command} ${key}`;
}

/** SHA1 -> script name, for BullMQ's scripts and the store's. */
function knownScripts(): Map<string, string> {
  const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");
  const scripts = new Map<string, string>();
  const require = createRequire(import.meta.url);
  const dir = path.join(path.dirname(require.resolve("bullmq")), "scripts");
  for (const file of readdirSync(dir).filter((f) => /-\d+\.js$/.test(f))) {
    const module = require(path.join(dir, file)) as Record<
      string,
      { name?: string; content?: string }
    >;
    for (const script of Object.values(module)) {
      if (script?.content !== undefined && script.name !== undefined) {
        scripts.set(sha1(script.content), `bullmq:${script.name}`);
      }
    }
  }
  for (const name of storeScriptNames()) scripts.set(sha1(storeScriptSource(name)), `veoq:${name}`);
  return scripts;
}

/** The costs per item, most commands first: `commands` = calls + inner. */
export function operationsPerItem(
  costs: ReadonlyMap<string, OperationCost>,
  items: number,
  n = 40,
): { operation: string; commands: number; calls: number }[] {
  const round = (value: number) => Math.round((value / items) * 100) / 100;
  return [...costs.entries()]
    .map(([operation, cost]) => ({
      operation,
      commands: round(cost.calls + cost.inner),
      calls: round(cost.calls),
    }))
    .sort((a, b) => b.commands - a.commands)
    .slice(0, n);
}
