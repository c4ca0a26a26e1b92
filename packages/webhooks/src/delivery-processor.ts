import type { Logger } from "@veoq/logging";
import { type Job, UnrecoverableError } from "bullmq";
import type { DeliveryLog, DeliveryState } from "./delivery-log.ts";
import { deliveryJobDataSchema } from "./delivery-queue.ts";
import type { DisabledEndpoints } from "./disabled-endpoints.ts";
import { type PostOutcome, postWebhook } from "./post-webhook.ts";
import { webhookHeaders } from "./webhook-signature.ts";

/** A try that failed and will be tried again after `delayMs` (the backoff strategy reads it). */
export class DeliveryFailedError extends Error {
  readonly delayMs: number;

  constructor(message: string, delayMs: number) {
    super(message);
    this.name = "DeliveryFailedError";
    this.delayMs = delayMs;
  }
}

export interface DeliverySettings {
  /** VEOQ_WEBHOOK_SECRET; without it every try fails (and is logged as such). */
  secret: string | undefined;
  timeoutMs: number;
  allowPrivate: boolean;
  retryScheduleMs: readonly number[];
}

export interface DeliveryDeps {
  log: DeliveryLog;
  disabled: DisabledEndpoints;
  settings: DeliverySettings;
  logger: Logger;
  now: () => number;
  /** Injected in tests: how host names resolve. */
  resolve?: (host: string) => Promise<{ address: string; family: number }[]>;
  /** Told the state each try ended in (the worker's `veoq_webhook_deliveries_total`). */
  onTry?: (state: DeliveryState) => void;
}

/**
 * The delay before try n+1 (n tries made): the endpoint's Retry-After when it sent one with a
 * 429, else the schedule's n-th delay (its last one past its end).
 */
export function nextDelayMs(
  schedule: readonly number[],
  triesMade: number,
  retryAfterMs: number | undefined,
): number {
  return retryAfterMs ?? schedule[triesMade - 1] ?? schedule.at(-1) ?? 0;
}

/** BullMQ's custom backoff "webhook": the delay the failed try computed. */
export function webhookBackoffStrategy(schedule: readonly number[]) {
  return (attemptsMade: number, _type?: string, error?: Error): number =>
    error instanceof DeliveryFailedError
      ? error.delayMs
      : nextDelayMs(schedule, attemptsMade, undefined);
}

/** What an endpoint's origin and path are, for logs (never the query, which may hold a token). */
function endpointForLog(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

/**
 * One try of one delivery: signs the body with a fresh `webhook-timestamp` and the event's
 * `webhook-id`, POSTs it, logs the try. 2xx: delivered. 410: the endpoint is disabled and the
 * job ends. An address the SSRF guard refuses ends the job. Anything else throws
 * DeliveryFailedError with the next delay (a 429's Retry-After wins), until the schedule ends.
 */
export function createDeliveryProcessor(deps: DeliveryDeps) {
  return async (job: Job): Promise<DeliveryState> => {
    const parsed = deliveryJobDataSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError("webhook delivery job data does not parse");
    const data = parsed.data;
    const { settings, log } = deps;
    const started = deps.now();
    const logContext = {
      batchId: data.batchId,
      deliveryId: data.deliveryId,
      webhookId: data.webhookId,
      type: data.type,
      endpoint: endpointForLog(data.url),
    };
    const record = async (
      outcome: PostOutcome,
      state: DeliveryState,
      nextAt: number | undefined,
    ) => {
      deps.onTry?.(state);
      await log.recordAttempt(
        data.batchId,
        data.deliveryId,
        {
          at: new Date(started).toISOString(),
          status: outcome.status ?? null,
          error: outcome.error ?? null,
          duration_ms: Math.max(0, Math.round(outcome.durationMs)),
          next_attempt_at: nextAt === undefined ? null : new Date(nextAt).toISOString(),
        },
        state,
      );
    };

    if (await deps.disabled.isDisabled(data.url)) {
      await record(noAnswer("endpoint disabled: it answered 410 Gone"), "disabled", undefined);
      return "disabled";
    }
    let outcome: PostOutcome;
    if (settings.secret === undefined) {
      outcome = noAnswer("VEOQ_WEBHOOK_SECRET is not set: nothing is sent unsigned");
    } else {
      const timestamp = Math.floor(started / 1000);
      outcome = await postWebhook({
        url: data.url,
        headers: webhookHeaders(settings.secret, {
          id: data.webhookId,
          timestamp,
          body: data.body,
        }),
        body: data.body,
        timeoutMs: settings.timeoutMs,
        allowPrivate: settings.allowPrivate,
        now: deps.now,
        ...(deps.resolve === undefined ? {} : { resolve: deps.resolve }),
      });
    }
    const status = outcome.status;
    if (status !== undefined && status >= 200 && status < 300) {
      await record(outcome, "delivered", undefined);
      deps.logger.info({ ...logContext, status }, "webhook delivered");
      return "delivered";
    }
    if (outcome.refused) {
      await record(outcome, "refused", undefined);
      deps.logger.warn({ ...logContext, reason: outcome.error }, "webhook endpoint refused");
      throw new UnrecoverableError(outcome.error ?? "endpoint address refused");
    }
    if (status === 410) {
      await deps.disabled.disable(data.url, data.deliveryId, started);
      await record(outcome, "disabled", undefined);
      deps.logger.warn(logContext, "webhook endpoint answered 410 Gone: disabled");
      throw new UnrecoverableError("the endpoint answered 410 Gone: disabled");
    }
    const triesMade = job.attemptsMade + 1;
    const last = triesMade >= (job.opts.attempts ?? 1);
    const delayMs = nextDelayMs(settings.retryScheduleMs, triesMade, outcome.retryAfterMs);
    await record(outcome, last ? "failed" : "retrying", last ? undefined : deps.now() + delayMs);
    const reason = status === undefined ? (outcome.error ?? "no answer") : `HTTP ${status}`;
    deps.logger.warn(
      { ...logContext, status, reason, try: triesMade, nextInMs: last ? undefined : delayMs },
      last ? "webhook delivery failed for good" : "webhook delivery failed; will retry",
    );
    throw new DeliveryFailedError(reason, delayMs);
  };
}

function noAnswer(error: string): PostOutcome {
  return { status: undefined, retryAfterMs: undefined, durationMs: 0, error, refused: false };
}
