import {
  type CreateRequest,
  ENDPOINTS,
  type EndpointSlug,
  parseCreateResponse,
  parseTaskResult,
  TASK_RESULT_PATH,
  type TaskResult,
} from "@veoq/contract";
import { type Dispatcher, request } from "undici";
import { failureFromStatus, failureWithoutAnswer, providerFailure } from "./call-failure.ts";
import { type CallState, observeCall } from "./observe-call.ts";
import type { ProviderCallContext } from "./provider-call-context.ts";
import type { ProviderOperation } from "./provider-error.ts";
import { BodyTooLargeError, readBodyText } from "./read-body-text.ts";
import { redactTaskResult } from "./redact-task-result.ts";
import { RequestSentTracker } from "./request-sent-tracker.ts";

/** `POST /v3/async/<slug>` with this body. */
export interface CreateTaskRequest {
  slug: EndpointSlug;
  body: CreateRequest;
  signal?: AbortSignal | undefined;
}

/** `GET /v3/async/task-result` for this task. */
export interface TaskResultRequest {
  taskId: string;
  signal?: AbortSignal | undefined;
}

/** One request to the API (never redirected), as `callApi` sends it. */
interface ApiRequest {
  operation: Exclude<ProviderOperation, "download">;
  endpoint: string;
  method: "GET" | "POST";
  /** Path under the API's base path, with its query. */
  path: string;
  body: string | undefined;
  signal: AbortSignal | undefined;
}

/** Creates a task; resolves with the provider's task id. */
export function createTask(
  context: ProviderCallContext,
  { slug, body, signal }: CreateTaskRequest,
): Promise<{ taskId: string }> {
  return observeCall(context, { operation: "create", endpoint: slug }, async (state) => {
    const spec = ENDPOINTS[slug] as (typeof ENDPOINTS)[EndpointSlug] | undefined;
    if (spec === undefined) {
      throw providerFailure(context, {
        kind: "invalid_request",
        operation: "create",
        endpoint: String(slug),
        detail: "unknown endpoint",
      });
    }
    const json = await callApi(
      context,
      {
        operation: "create",
        endpoint: slug,
        method: "POST",
        path: spec.path,
        body: JSON.stringify(body),
        signal,
      },
      state,
    );
    const parsed = parseCreateResponse(json);
    if (!parsed.ok) {
      throw providerFailure(context, {
        kind: "malformed_response",
        operation: "create",
        endpoint: slug,
        status: state.status,
        detail: `create response breaks the contract: ${describeIssues(parsed.issues)}`,
      });
    }
    return { taskId: context.redact(parsed.value.taskId) };
  });
}

/** Reads a task's state, checked against the contract. */
export function getTaskResult(
  context: ProviderCallContext,
  { taskId, signal }: TaskResultRequest,
): Promise<TaskResult> {
  const target = { operation: "task-result", endpoint: "task-result" } as const;
  return observeCall(context, target, async (state) => {
    if (taskId === "") {
      throw providerFailure(context, {
        kind: "invalid_request",
        ...target,
        detail: "empty task id",
      });
    }
    const json = await callApi(
      context,
      {
        ...target,
        method: "GET",
        path: `${TASK_RESULT_PATH}?task_id=${encodeURIComponent(taskId)}`,
        body: undefined,
        signal,
      },
      state,
    );
    const parsed = parseTaskResult(json);
    if (!parsed.ok) {
      throw providerFailure(context, {
        kind: "malformed_response",
        ...target,
        status: state.status,
        detail: `task result breaks the contract: ${describeIssues(parsed.issues)}`,
      });
    }
    return redactTaskResult(parsed.value, context.redact);
  });
}

/** One API call; resolves with the parsed JSON of a 2xx answer. */
async function callApi(
  context: ProviderCallContext,
  call: ApiRequest,
  state: CallState,
): Promise<unknown> {
  const { operation, endpoint, signal } = call;
  const tracker = new RequestSentTracker(context.agent);
  let response: Dispatcher.ResponseData;
  try {
    response = await request(`${context.origin}${context.basePath}${call.path}`, {
      dispatcher: tracker,
      method: call.method,
      headers: {
        authorization: `Bearer ${context.apiKey}`,
        "content-type": "application/json",
        accept: "application/json",
      },
      body: call.body,
      signal,
    });
  } catch (error) {
    throw failureWithoutAnswer(context, {
      operation,
      endpoint,
      error,
      requestSent: tracker.sent,
      signal,
    });
  }
  state.status = response.statusCode;
  if (response.statusCode < 200 || response.statusCode > 299) {
    throw await failureFromStatus(context, { operation, endpoint }, response);
  }
  let text: string;
  try {
    text = await readBodyText(response.body, context.settings.maxApiBodyBytes);
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      throw providerFailure(context, {
        kind: "malformed_response",
        operation,
        endpoint,
        status: response.statusCode,
        detail: error.message,
      });
    }
    throw failureWithoutAnswer(context, {
      operation,
      endpoint,
      error,
      requestSent: true,
      signal,
      status: response.statusCode,
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw providerFailure(context, {
      kind: "malformed_response",
      operation,
      endpoint,
      status: response.statusCode,
      detail: `response is not JSON: ${text}`,
    });
  }
}

function describeIssues(issues: readonly { path: string; message: string }[]): string {
  return issues
    .map((issue) => `${issue.path === "" ? "(root)" : issue.path}: ${issue.message}`)
    .join("; ");
}
