import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { isLoopbackHost, listeningUrl, type VeoqConfig } from "@veoq/config";
import type { Logger } from "@veoq/logging";
import { objectStoreFromConfig } from "@veoq/object-store";
import {
  BatchStore,
  checkRedisSetupUnlessDown,
  createQueues,
  createRedisConnection,
  type ItemTracer,
  type StartWorkersOptions,
} from "@veoq/pipeline";
import { loadPriceTable } from "@veoq/pricing";
import { createApiContext } from "./api-context.ts";
import type { ApiRoute } from "./api-route.ts";
import { API_ROUTES } from "./api-routes.ts";
import { TokenAuthenticator } from "./api-tokens.ts";
import { createExpressApp, type RequestSpanMiddleware } from "./express-adapter.ts";
import { IdempotencyStore } from "./idempotency-store.ts";
import { createOpenApiDocument } from "./openapi-document.ts";
import { RateLimiter } from "./rate-limiter.ts";

/** The API's version, in the OpenAPI document. */
export const API_VERSION = "1.0.0";

/** Raised before listening when the settings would expose the API without tokens. */
export class ApiStartError extends Error {
  override name = "ApiStartError";
}

/** Traces of an API process (packages/tracing, when the OTEL_* variables ask for them). */
export interface ApiTracing {
  /** A server span per request, continuing a caller's `traceparent` (Tracing's httpSpans). */
  requestSpan: RequestSpanMiddleware;
  /** Opens each enqueued item's trace under the request's span (Tracing's requestItemTracer). */
  itemTracer: ItemTracer;
  /** BullMQ's own spans on the API's queues (Tracing's telemetry: bullmq-otel). */
  telemetry: NonNullable<StartWorkersOptions["telemetry"]>;
}

export interface StartApiOptions {
  config: VeoqConfig;
  logger: Logger;
  /** Default config.apiHost (VEOQ_API_HOST, 127.0.0.1). */
  host?: string;
  /** Default config.apiPort (VEOQ_API_PORT, 3001); 0 picks a free port. */
  port?: number;
  /** Default API_ROUTES (tests may add routes). */
  routes?: readonly ApiRoute[];
  now?: () => number;
  /** Default none: no span, no item trace. */
  tracing?: ApiTracing | undefined;
}

export interface RunningApi {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Refuses a listen address beyond loopback when no token is configured (anyone could enqueue). */
export function checkApiBinding(host: string, tokens: readonly unknown[]): void {
  if (tokens.length === 0 && !isLoopbackHost(host)) {
    throw new ApiStartError(
      `refusing to listen on ${host} without tokens: set VEOQ_API_TOKENS (name=token:scope,...), or listen on 127.0.0.1 (VEOQ_API_HOST / --host)`,
    );
  }
}

/**
 * Checks the binding, connects to Redis (the connection reconnects forever), builds the context
 * once and listens. Without VEOQ_API_TOKENS (loopback only) every request may read and write.
 */
export async function startApi(options: StartApiOptions): Promise<RunningApi> {
  const { config, logger } = options;
  const host = options.host ?? config.apiHost;
  const port = options.port ?? config.apiPort;
  const tokens = config.apiTokens;
  checkApiBinding(host, tokens);
  await checkRedisSetupUnlessDown(config.redis, config.prefix, (error) =>
    logger.warn({ err: error }, "could not check the Redis setup (Redis unreachable)"),
  );
  const redis = createRedisConnection(config.redis, "worker");
  redis.on("error", (error) => logger.warn({ err: error }, "api: redis error"));
  const queues = createQueues(
    redis,
    config.prefix,
    options.tracing === undefined ? {} : { telemetry: options.tracing.telemetry },
  );
  const objectStore = objectStoreFromConfig(config);
  const now = options.now ?? Date.now;
  const context = createApiContext({
    config,
    redis,
    store: new BatchStore(redis, config.prefix),
    queues,
    prices: loadPriceTable(config.prices),
    objectStore,
    logger,
    now,
    tracer: options.tracing?.itemTracer,
  });
  const routes = options.routes ?? API_ROUTES;
  const app = createExpressApp(
    {
      context,
      authenticator: new TokenAuthenticator(tokens),
      rateLimiter: new RateLimiter(config.apiRateLimit, now),
      idempotency: new IdempotencyStore(redis, config.prefix),
    },
    routes,
    createOpenApiDocument(routes, API_VERSION),
    options.tracing?.requestSpan,
  );
  const release = async () => {
    await queues.close().catch(() => {});
    redis.disconnect();
    objectStore?.close();
  };
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(port, host, (error?: Error) =>
      error ? reject(error) : resolve(listening),
    );
    listening.once("error", reject);
  }).catch(async (error: unknown) => {
    await release();
    throw error;
  });
  const address = server.address() as AddressInfo;
  const url = listeningUrl(address);
  logger.info(
    {
      url,
      host,
      tokens: tokens.map((t) => `${t.name}:${t.scope}`),
      rateLimit: config.apiRateLimit,
    },
    "api listening",
  );
  return {
    url,
    port: address.port,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await release();
    },
  };
}
