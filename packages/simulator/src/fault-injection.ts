import type { FaultOptions } from "./options.ts";
import type { Prng } from "./prng.ts";

/** True with probability `rate`; draws from the PRNG only when the outcome is uncertain. */
export function rollFault(prng: Prng, rate: number): boolean {
  if (rate <= 0) return false;
  if (rate >= 1) return true;
  return prng.next() < rate;
}

/** What happens to an API request before it is looked at. */
export type RequestFault =
  | { kind: "none" }
  | { kind: "drop" }
  | { kind: "server-error"; status: 500 | 502 | 503 };

const SERVER_ERROR_STATUSES = [500, 502, 503] as const;

export function latencyMsOf(prng: Prng, faults: FaultOptions): number {
  const { min, max } = faults.latencyMs;
  if (max <= 0) return 0;
  return min + (max - min) * prng.next();
}

export function decideRequestFault(prng: Prng, faults: FaultOptions): RequestFault {
  if (rollFault(prng, faults.dropConnectionRate)) return { kind: "drop" };
  if (rollFault(prng, faults.serverErrorRate)) {
    const status = SERVER_ERROR_STATUSES[prng.int(SERVER_ERROR_STATUSES.length)] ?? 500;
    return { kind: "server-error", status };
  }
  return { kind: "none" };
}

/** How a valid create request is answered. */
export type CreateAnswer = "normal" | "drop-after-create" | "invalid-json" | "missing-task-id";

export function decideCreateAnswer(prng: Prng, faults: FaultOptions): CreateAnswer {
  if (rollFault(prng, faults.invalidJsonRate)) return "invalid-json";
  if (rollFault(prng, faults.missingTaskIdRate)) return "missing-task-id";
  if (rollFault(prng, faults.dropAfterCreateRate)) return "drop-after-create";
  return "normal";
}

/** How a file download is answered. */
export type FileAnswer = "mp4" | "html" | "busy";

export function decideFileAnswer(prng: Prng, faults: FaultOptions): FileAnswer {
  if (rollFault(prng, faults.fileErrorRate)) return "busy";
  return rollFault(prng, faults.htmlFileRate) ? "html" : "mp4";
}
