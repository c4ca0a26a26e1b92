import { secretValues, type VeoqConfig } from "@veoq/config";
import { createLogger } from "@veoq/logging";
import { shutdownOnSignal } from "@veoq/pipeline";
import { type ApiTracing, startApi } from "./start-api.ts";

/**
 * An API process (`veoq api` and apps/api): a logger that scrubs every credential of the
 * configuration (secretValues: the provider key, API tokens, Redis and S3 passwords), the server, its URL on stdout, a graceful stop on SIGINT/SIGTERM. Resolves once
 * stopped; throws ApiStartError for an unsafe binding.
 */
export async function runApiProcess(
  config: VeoqConfig,
  listen: { host?: string | undefined; port?: number | undefined } = {},
  /** Request spans and item traces, when tracing is on (packages/tracing). */
  tracing?: ApiTracing,
): Promise<void> {
  const logger = createLogger({
    name: "api",
    level: config.logLevel,
    secrets: secretValues(config),
  });
  const running = await startApi({
    config,
    logger,
    ...(listen.host === undefined ? {} : { host: listen.host }),
    ...(listen.port === undefined ? {} : { port: listen.port }),
    ...(tracing === undefined ? {} : { tracing }),
  });
  process.stdout.write(`api  ${running.url}  (OpenAPI: ${running.url}/openapi.json)\n`);
  await shutdownOnSignal(() => running.close(), logger);
}
