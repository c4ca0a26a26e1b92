import type { ProblemJson } from "@veoq/api-schemas";

/** A problem the API answered (RFC 9457): its status, and the problem object itself. */
export class VeoqApiError extends Error {
  override name = "VeoqApiError";
  readonly status: number;
  readonly problem: ProblemJson;
  /** Seconds the API asked to wait (429, 409 while an Idempotency-Key's request runs). */
  readonly retryAfterSeconds: number | undefined;

  constructor(problem: ProblemJson, retryAfterSeconds: number | undefined) {
    super(`${problem.status} ${problem.title}: ${problem.detail}`);
    this.status = problem.status;
    this.problem = problem;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
