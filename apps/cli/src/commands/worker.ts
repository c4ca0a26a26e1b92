import { requireApiKey, secretValues } from "@veoq/config";
import { createLogger } from "@veoq/logging";
import {
  parsePort as parseSharedPort,
  parseWorkerRoles,
  runWorkerProcess,
  WORKER_ROLES_RULE,
} from "@veoq/metrics";
import { QUEUE_ROLES, type QueueRole } from "@veoq/pipeline";
import type { WorkerStartedJson } from "@veoq/report";
import { type Command, InvalidArgumentError } from "commander";
import { cliVersion } from "../cli-version.ts";
import { withCommandTracing } from "../command-tracing.ts";
import { loadConfig } from "../env.ts";
import { naming } from "../listen-error.ts";
import { runAction } from "../run-action.ts";

export function parseRoles(value: string): QueueRole[] {
  const roles = parseWorkerRoles(value);
  if (roles === undefined) throw new InvalidArgumentError(`roles must be ${WORKER_ROLES_RULE}`);
  return roles;
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("must be a whole number ≥ 1");
  return n;
}

export function parsePort(value: string): number {
  const port = parseSharedPort(value);
  if (port === undefined) throw new InvalidArgumentError("must be a port number 0-65535");
  return port;
}

interface WorkerFlags {
  roles: QueueRole[];
  concurrency?: number;
  metricsPort?: number;
  metricsHost: string;
  json?: boolean;
}

export function registerWorkerCommand(program: Command): void {
  program
    .command("worker")
    .description("run submit, poll and download workers until SIGINT/SIGTERM")
    .option("--roles <list>", "comma-separated roles: submit,poll,download", parseRoles, [
      ...QUEUE_ROLES,
    ])
    .option(
      "--concurrency <n>",
      "jobs in flight per role (default: from the env config)",
      parsePositiveInt,
    )
    .option(
      "--metrics-port <port>",
      "serve /metrics, /healthz and /readyz on this port (default: no metrics server)",
      parsePort,
    )
    .option("--metrics-host <host>", "interface of the metrics server", "127.0.0.1")
    .option(
      "--json",
      "JSON log lines even on a terminal, and one worker_started line once the workers are up",
    )
    .action(
      runAction(async (flags: WorkerFlags) => {
        const config = loadConfig();
        const apiKey = requireApiKey(config);
        const logger = createLogger({
          name: "worker",
          level: config.logLevel,
          secrets: secretValues(config),
          // Readable lines for a person at a terminal; JSON for log collectors and --json.
          pretty: process.stdout.isTTY === true && flags.json !== true,
        });
        const concurrency =
          flags.concurrency === undefined
            ? undefined
            : Object.fromEntries(flags.roles.map((r) => [r, flags.concurrency]));
        const onStarted = ({ metricsUrl }: { metricsUrl: string | undefined }) => {
          if (!flags.json) return;
          const started: WorkerStartedJson = {
            event: "worker_started",
            pid: process.pid,
            roles: [...flags.roles],
            metrics_url: metricsUrl ?? null,
          };
          process.stdout.write(`${JSON.stringify(started)}\n`);
        };
        await withCommandTracing("veoq-worker", undefined, (tracing) =>
          naming("the worker's metrics server", "--metrics-port", () =>
            runWorkerProcess({
              ...(tracing === undefined ? {} : { tracing }),
              onStarted,
              config,
              apiKey,
              roles: flags.roles,
              version: cliVersion(),
              ...(concurrency === undefined ? {} : { concurrency }),
              ...(flags.metricsPort === undefined
                ? {}
                : { metrics: { host: flags.metricsHost, port: flags.metricsPort } }),
              logger,
            }),
          ),
        );
        // Stopped by a signal: exit now. A drain that ran out of VEOQ_DRAIN_SECONDS abandoned
        // jobs whose requests and BullMQ lock renewals would keep the event loop alive for ever.
        process.exit(0);
      }),
    );
}
