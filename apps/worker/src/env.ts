import { parseConfig, type VeoqConfig } from "@veoq/config";
import { parsePort, parseWorkerRoles, WORKER_ROLES_RULE } from "@veoq/metrics";
import { QUEUE_ROLES, type QueueRole } from "@veoq/pipeline";

/** The standalone worker's settings: the shared config plus the process's own variables. */
export interface WorkerEnvironment {
  config: VeoqConfig;
  /** VEOQ_WORKER_ROLES: comma-separated submit,poll,download. Default all three. */
  roles: QueueRole[];
  /** VEOQ_METRICS_PORT: serve /metrics, /healthz, /readyz on this port. Default unset (no server). */
  metricsPort: number | undefined;
  /** VEOQ_METRICS_HOST: interface of the metrics server. Default 127.0.0.1. */
  metricsHost: string;
  /** The OTEL_* variables: traces are on when they ask for them (packages/tracing). */
  otel: Record<string, string | undefined>;
}

/** Raised for a wrong VEOQ_WORKER_ROLES / VEOQ_METRICS_PORT; names the variable. */
export class WorkerEnvironmentError extends Error {
  override name = "WorkerEnvironmentError";
}

/** The worker app's one read of the environment. */
export function loadWorkerEnvironment(env: NodeJS.ProcessEnv = process.env): WorkerEnvironment {
  const config = parseConfig(env);
  const rolesRaw = env.VEOQ_WORKER_ROLES?.trim() || QUEUE_ROLES.join(",");
  const roles = parseWorkerRoles(rolesRaw);
  if (roles === undefined) {
    throw new WorkerEnvironmentError(`VEOQ_WORKER_ROLES must be ${WORKER_ROLES_RULE}`);
  }
  const portRaw = env.VEOQ_METRICS_PORT?.trim();
  const metricsPort = portRaw ? parsePort(portRaw) : undefined;
  if (portRaw && metricsPort === undefined) {
    throw new WorkerEnvironmentError("VEOQ_METRICS_PORT must be a port number 0-65535");
  }
  return {
    config,
    roles,
    metricsPort,
    metricsHost: env.VEOQ_METRICS_HOST?.trim() || "127.0.0.1",
    otel: Object.fromEntries(Object.entries(env).filter(([name]) => name.startsWith("OTEL_"))),
  };
}
