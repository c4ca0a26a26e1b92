import { PIPELINE_DEFAULTS } from "../policy/pipeline-defaults.ts";
import type { BatchControlState } from "../store/batch-control.ts";
import type { KeyWait } from "../store/batch-store.ts";
import type { QueueRole } from "../store/keys.ts";
import { ANY_KEY } from "../store/worker-registry.ts";

/** Why a batch's open items are not moving, most fundamental first. */
export const WAITING_CODES = [
  "no_worker",
  "key_missing",
  "credentials_stop",
  "submit_paused",
  "batch_paused",
  "budget",
  "daily_budget",
  "provider_cap",
  "rpm_pacing",
] as const;
export type WaitingCode = (typeof WAITING_CODES)[number];

export interface WaitingReason {
  code: WaitingCode;
  /** One plain sentence for `veoq status` and the dashboard. */
  message: string;
}

/** What `veoq status` and the dashboard already read, for one batch. */
export interface WaitingInputs {
  /** Open items per state (queued: before or at submit; processing: polled; downloading). */
  counts: { queued: number; processing: number; downloading: number };
  /** Roles that some live worker process works on (store/worker-registry.ts). */
  liveRoles: ReadonlySet<QueueRole>;
  control: BatchControlState;
  /** The credentials stop's reason, when submissions are stopped. */
  credentialsStop: string | undefined;
  submitPaused: boolean;
  /** Provider slots in use and their effective cap, summed over accounts (none: unknown). */
  slots: { inUse: number; cap: number; paceUntil: number } | undefined;
  /** A task of the batch left by a worker without its API key (BatchRecord.keyWait). */
  keyWait?: KeyWait | undefined;
  /** Per role, the API key names live workers hold (store/worker-registry.ts liveKeysOf). */
  liveKeys?: ReadonlyMap<QueueRole, ReadonlySet<string>> | undefined;
  now: number;
}

/** A key wait older than this is stale: the job was since taken by a worker with its key. */
const KEY_WAIT_FRESH_MS = 2 * PIPELINE_DEFAULTS.missingKeyMaxRecheckMs;

const STAGE_OF: ReadonlyArray<readonly [QueueRole, keyof WaitingInputs["counts"], string]> = [
  ["submit", "queued", "queued"],
  ["poll", "processing", "at the provider"],
  ["download", "downloading", "to download"],
];

/**
 * Why the batch's open items wait, or undefined when nothing holds them up (or nothing is open).
 * A role with open items and no live worker comes first: nothing else matters until one runs.
 * The rest only hold up queued items (tasks already created are still followed and saved).
 */
export function waitingReasonOf(inputs: WaitingInputs): WaitingReason | undefined {
  const missing = STAGE_OF.filter(
    ([role, state]) => inputs.counts[state] > 0 && !inputs.liveRoles.has(role),
  );
  if (missing.length > 0) {
    return {
      code: "no_worker",
      message: missing
        .map(
          ([role, state, where]) =>
            `no ${role} worker is running (${inputs.counts[state]} item(s) ${where})`,
        )
        .join("; "),
    };
  }
  const missingKey = keyNobodyHolds(inputs);
  if (missingKey !== undefined) {
    const { key, role } = missingKey;
    return {
      code: "key_missing",
      message: `no live ${role} worker holds API key ${key}, which created tasks of this batch: they wait (nothing fails); start a ${role} worker with that key (JIEKOU_API_KEYS or JIEKOU_API_KEYS_FILE)`,
    };
  }
  if (inputs.counts.queued === 0 || inputs.control.state === "cancelled") return undefined;
  if (inputs.credentialsStop !== undefined) {
    return {
      code: "credentials_stop",
      message: `submissions stopped: ${inputs.credentialsStop} (fix it, then \`veoq resume\`)`,
    };
  }
  if (inputs.submitPaused) {
    return { code: "submit_paused", message: "the submit queue is paused (`veoq resume`)" };
  }
  if (inputs.control.state === "paused") {
    const { reason } = inputs.control;
    if (reason === "budget") {
      return { code: "budget", message: "paused: the next item would pass the batch's budget" };
    }
    if (reason === "daily_budget") {
      return { code: "daily_budget", message: "paused: VEOQ_DAILY_BUDGET is spent for today" };
    }
    return { code: "batch_paused", message: "paused by `veoq pause` (`veoq resume` to go on)" };
  }
  const slots = inputs.slots;
  if (slots !== undefined && slots.cap > 0 && slots.inUse >= slots.cap) {
    return {
      code: "provider_cap",
      message: `every provider slot is in use (${slots.inUse}/${slots.cap} tasks in flight)`,
    };
  }
  if (slots !== undefined && slots.paceUntil > inputs.now) {
    return {
      code: "rpm_pacing",
      message: "creates are paced to VEOQ_PROVIDER_RPM: the next one may go shortly",
    };
  }
  return undefined;
}

/** The key a task of the batch waits for when no live worker of its stage holds it. */
function keyNobodyHolds(inputs: WaitingInputs): KeyWait | undefined {
  const wait = inputs.keyWait;
  if (wait === undefined || inputs.liveKeys === undefined) return undefined;
  if (inputs.now - wait.at > KEY_WAIT_FRESH_MS) return undefined;
  const open = wait.role === "poll" ? inputs.counts.processing : inputs.counts.downloading;
  if (open === 0) return undefined;
  const held = inputs.liveKeys.get(wait.role);
  if (held?.has(wait.key) || held?.has(ANY_KEY)) return undefined;
  return wait;
}
