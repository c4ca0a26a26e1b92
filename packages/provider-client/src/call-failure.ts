import type { Dispatcher } from "undici";
import {
  classifyHttpStatus,
  classifyNetworkError,
  describeNetworkError,
} from "./classify-failure.ts";
import { extractProviderMessage, toMessageLine } from "./extract-provider-message.ts";
import { parseRetryAfter } from "./parse-retry-after.ts";
import type { ProviderCallContext } from "./provider-call-context.ts";
import {
  isProviderError,
  ProviderError,
  type ProviderErrorInit,
  type ProviderOperation,
} from "./provider-error.ts";
import { readBodyText } from "./read-body-text.ts";

/** Which call failed: the operation and the endpoint as `ProviderError` names them. */
export interface CallTarget {
  operation: ProviderOperation;
  /** Endpoint slug, `"task-result"` or `"file"`. */
  endpoint: string;
}

/**
 * A `ProviderError` whose detail is redacted, then bounded to one message line: in this order,
 * so a cut never leaves part of the key behind. Callers pass details uncut.
 */
export function providerFailure(
  context: ProviderCallContext,
  init: ProviderErrorInit,
): ProviderError {
  return new ProviderError({
    ...init,
    detail: init.detail === undefined ? undefined : toMessageLine(context.redact(init.detail)),
  });
}

/** A call that got no HTTP answer, or whose body broke. */
export interface FailureWithoutAnswer extends CallTarget {
  error: unknown;
  /** Whether the whole request had been handed to the socket. */
  requestSent: boolean;
  signal: AbortSignal | undefined;
  /** Status of the answer whose body broke, when there was one. */
  status?: number | undefined;
}

/** Turns a failure without an HTTP answer (or with a broken body) into what the caller sees. */
export function failureWithoutAnswer(
  context: ProviderCallContext,
  failure: FailureWithoutAnswer,
): unknown {
  const { operation, endpoint, error, requestSent, signal, status } = failure;
  if (isProviderError(error)) return error;
  if (signal?.aborted === true) {
    // The caller gave up. A create that reached the provider may still exist: say so.
    if (operation === "create" && requestSent) {
      return providerFailure(context, {
        kind: "ambiguous",
        operation,
        endpoint,
        status,
        detail: "aborted by the caller after the request was sent",
        cause: signal.reason,
      });
    }
    return signal.reason;
  }
  return providerFailure(context, {
    kind: classifyNetworkError(operation, error, requestSent),
    operation,
    endpoint,
    status,
    detail: describeNetworkError(error),
    cause: error,
  });
}

/** Builds the error for a non-2xx answer, consuming (or destroying) its body. */
export async function failureFromStatus(
  context: ProviderCallContext,
  target: CallTarget,
  response: Dispatcher.ResponseData,
): Promise<ProviderError> {
  const bodyText = await readBodyText(response.body, context.settings.maxErrorBodyBytes).catch(
    () => undefined,
  );
  const providerMessage = extractProviderMessage(bodyText, context.apiKey);
  const { kind, limitScope } = classifyHttpStatus(
    target.operation,
    response.statusCode,
    providerMessage,
  );
  return providerFailure(context, {
    kind,
    ...target,
    status: response.statusCode,
    retryAfterMs: parseRetryAfter(response.headers["retry-after"], context.now()),
    providerMessage,
    limitScope,
  });
}
