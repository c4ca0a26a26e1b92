import type { VeoqConfig } from "@veoq/config";
import { createLogger } from "@veoq/logging";
import { shutdownOnSignal } from "@veoq/pipeline";
import { startApi } from "./start-api.ts";

/**
 * An API process (`veoq api` and apps/api): a logger that scrubs the provider key and every API
 * token, the server, its URL on stdout, a graceful stop on SIGINT/SIGTERM. Resolves once
 * stopped; throws ApiStartError for an unsafe binding.
 */
export async function runApiProcess(
  config: VeoqConfig,
  listen: { host?: string | undefined; port?: number | undefined } = {},
): Promise<void> {
  const logger = createLogger({
    name: "api",
    level: config.logLevel,
    secrets: [config.apiKey, config.awsSecretAccessKey, ...config.apiTokens.map((t) => t.token)],
  });
  const running = await startApi({
    config,
    logger,
    ...(listen.host === undefined ? {} : { host: listen.host }),
    ...(listen.port === undefined ? {} : { port: listen.port }),
  });
  process.stdout.write(`api  ${running.url}  (OpenAPI: ${running.url}/openapi.json)\n`);
  await shutdownOnSignal(() => running.close(), logger);
}
