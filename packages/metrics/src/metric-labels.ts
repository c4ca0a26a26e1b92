import { type ItemErrorKind, submitJobDataSchema } from "@veoq/pipeline";

/**
 * Label values are bounded: anything outside a known set becomes "other", so a bug or an odd
 * provider answer can never blow up the number of series (no job ids, custom ids or task ids).
 */
const MODELS: ReadonlySet<string> = new Set(submitJobDataSchema.shape.model.options);

const ENDPOINTS: ReadonlySet<string> = new Set([...MODELS, "task-result", "file"]);

const ERROR_KINDS: Readonly<Record<ItemErrorKind, true>> = {
  invalid_request: true,
  invalid_input: true,
  task_failed: true,
  timeout: true,
  url_expired: true,
  output_invalid: true,
  output_mismatch: true,
  transient: true,
  ambiguous: true,
  malformed_response: true,
  not_found: true,
  unauthorized: true,
  payment_required: true,
  rate_limited: true,
  internal: true,
  cancelled: true,
};

export const OTHER_LABEL = "other";

/** An endpoint slug the provider documents, "task-result", "file", or "other". */
export function modelLabel(model: string): string {
  return MODELS.has(model) ? model : OTHER_LABEL;
}

/** A create endpoint slug, "task-result", "file", or "other". */
export function endpointLabel(endpoint: string): string {
  return ENDPOINTS.has(endpoint) ? endpoint : OTHER_LABEL;
}

/** An item error kind, or "other". */
export function errorKindLabel(kind: string | undefined): string {
  return kind !== undefined && Object.hasOwn(ERROR_KINDS, kind) ? kind : OTHER_LABEL;
}

/** An HTTP status 100-599 as text, or "none" when no answer came (network failure, timeout). */
export function statusLabel(status: number | undefined): string {
  return status !== undefined && Number.isInteger(status) && status >= 100 && status <= 599
    ? String(status)
    : "none";
}
