import type { ProblemJson } from "@veoq/api-schemas";

/** The kinds of problem the API answers, with their status and title. */
export const PROBLEMS = {
  bad_request: { status: 400, title: "The request is malformed" },
  unauthorized: { status: 401, title: "A valid bearer token is required" },
  forbidden: { status: 403, title: "The token's scope does not allow this" },
  not_found: { status: 404, title: "No such resource" },
  method_not_allowed: { status: 405, title: "Method not allowed here" },
  conflict: { status: 409, title: "The request conflicts with the current state" },
  idempotency_in_progress: {
    status: 409,
    title: "A request with this Idempotency-Key is still running",
  },
  payload_too_large: { status: 413, title: "The request body is too large" },
  unsupported_media_type: { status: 415, title: "Unsupported Content-Type" },
  invalid_manifest: { status: 422, title: "The manifest has invalid lines" },
  invalid_request: { status: 422, title: "The request's fields are invalid" },
  idempotency_key_reused: {
    status: 422,
    title: "This Idempotency-Key was used with another request",
  },
  rate_limited: { status: 429, title: "Too many requests for this token" },
  internal: { status: 500, title: "Internal error" },
  unavailable: { status: 503, title: "A backing service is unavailable" },
} as const satisfies Record<string, { status: number; title: string }>;
export type ProblemKind = keyof typeof PROBLEMS;

/** Thrown by handlers and the core; the adapter answers it as problem+json. */
export class ApiProblem extends Error {
  override name = "ApiProblem";
  readonly kind: ProblemKind;
  readonly extra: Omit<Partial<ProblemJson>, "type" | "title" | "status" | "detail">;
  /** Headers to send with it (Retry-After, WWW-Authenticate). */
  readonly headers: Record<string, string>;

  constructor(
    kind: ProblemKind,
    detail: string,
    extra: ApiProblem["extra"] = {},
    headers: Record<string, string> = {},
  ) {
    super(detail);
    this.kind = kind;
    this.extra = extra;
    this.headers = headers;
  }

  get status(): number {
    return PROBLEMS[this.kind].status;
  }

  toJson(): ProblemJson {
    return {
      type: `urn:veoq:problem:${this.kind.replace(/_/g, "-")}`,
      title: PROBLEMS[this.kind].title,
      status: this.status,
      detail: this.message,
      ...this.extra,
    };
  }
}
