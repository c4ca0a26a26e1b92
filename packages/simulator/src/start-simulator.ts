import type { AddressInfo } from "node:net";
import {
  type FaultOverrides,
  mergeFaultOptions,
  resolveSimulatorOptions,
  type SimulatorOverrides,
} from "./options.ts";
import type { SimulatedTask } from "./simulated-task.ts";
import { createSimulatorContext } from "./simulator-context.ts";
import { resetStatsOf, statsOf, tasksOf } from "./simulator-reports.ts";
import { createSimulatorServer } from "./simulator-server.ts";
import type { SimulatorStats } from "./simulator-stats.ts";

/** A running simulator. */
export interface Simulator {
  /** Base URL, e.g. "http://127.0.0.1:4010" (use it as the provider base URL). */
  url: string;
  /** The port actually listened on. */
  port: number;
  /** Current counters (same as `GET /__sim/stats`). */
  stats(): SimulatorStats;
  /** Every task so far (same as `GET /__sim/tasks`). */
  tasks(): SimulatedTask[];
  /** Change faults at runtime (same as `POST /__sim/faults`); throws on invalid values. */
  setFaults(partial: FaultOverrides): void;
  /** Zero the counters (same as `POST /__sim/reset-stats`). */
  resetStats(): void;
  /** Stop listening and close every connection. */
  close(): Promise<void>;
}

function urlHostOf(host: string): string {
  if (host === "0.0.0.0") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}

/** Start a simulator; options not given take their defaults (`DEFAULT_SIMULATOR_OPTIONS`). */
export async function startSimulator(overrides: SimulatorOverrides = {}): Promise<Simulator> {
  const options = resolveSimulatorOptions(overrides);
  const ctx = createSimulatorContext(options);
  const server = createSimulatorServer(ctx);
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${urlHostOf(options.host)}:${port}`;
  ctx.baseUrl = url;

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    stats: () => statsOf(ctx),
    tasks: () => tasksOf(ctx),
    setFaults: (partial) => {
      ctx.faults = mergeFaultOptions(ctx.faults, partial);
    },
    resetStats: () => resetStatsOf(ctx),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
