import {
  type CreateRequest,
  type EndpointSlug,
  type RequestedVideo,
  requestedVideoOf,
  sampleCountOf,
} from "@veoq/contract";
import {
  FAILURE_REASONS,
  PERMANENT_FAILURE_REASONS,
  TRANSIENT_FAILURE_REASONS,
} from "./failure-reasons.ts";
import { rollFault } from "./fault-injection.ts";
import type { Prng } from "./prng.ts";
import { readPromptMarkers } from "./prompt-markers.ts";
import type { SimulatorContext } from "./simulator-context.ts";
import type { TaskRecord } from "./task-store.ts";

function pickOf(prng: Prng, items: readonly string[]): string {
  return items[prng.int(items.length)] ?? "internal error, please retry";
}

/** The video a `[sim:wrong-video]` task serves instead: another duration, and no audio. */
function wrongVideoOf(asked: RequestedVideo): RequestedVideo {
  return { ...asked, durationSeconds: asked.durationSeconds === 4 ? 8 : 4, audio: false };
}

function hex8Of(value: number): string {
  return value.toString(16).padStart(8, "0");
}

export interface TaskRequest {
  endpoint: EndpointSlug;
  /** The create body, already validated. */
  body: CreateRequest;
  /** Creates with the same canonical body accepted before this one. */
  acceptedBefore: number;
  /** The permanent reason an earlier task with the same body failed for (it fails again). */
  earlierPermanentReason?: string | undefined;
  ownerKey: string;
  nowMs: number;
}

/**
 * Decide everything about a new task (id, duration, outcome, seed) from the request and the
 * simulator's PRNG, in a fixed order of draws so a seed reproduces a run.
 */
export function planTask(ctx: SimulatorContext, request: TaskRequest): TaskRecord {
  const { prng, options, faults } = ctx;
  const { body, endpoint } = request;
  const seq = ctx.nextTaskSeq;
  ctx.nextTaskSeq += 1;
  const taskId = `${ctx.instanceId}-${seq.toString(36).padStart(5, "0")}-${hex8Of(prng.uint32())}`;

  const markers = readPromptMarkers(body.prompt);
  const range = options.durations[endpoint];
  const sampled = Math.round(
    range.minSeconds + (range.maxSeconds - range.minSeconds) * prng.next(),
  );
  const durationSeconds = markers.durationSeconds ?? sampled;

  let reason = "";
  if (markers.fail) {
    reason = pickOf(prng, PERMANENT_FAILURE_REASONS);
  } else if (markers.failOnce) {
    if (request.acceptedBefore === 0) reason = pickOf(prng, TRANSIENT_FAILURE_REASONS);
  } else if (request.earlierPermanentReason !== undefined) {
    // A content-policy or input rejection repeats for the same request, as at the provider.
    reason = request.earlierPermanentReason;
  } else if (rollFault(prng, faults.failureRate)) {
    reason = pickOf(prng, FAILURE_REASONS);
  }

  const seed = typeof body.seed === "number" ? body.seed : prng.uint32();
  return {
    taskId,
    endpoint,
    ownerKey: request.ownerKey,
    createdAtMs: request.nowMs,
    durationSeconds,
    queuedFraction: options.queuedFraction,
    msPerSecond: options.timeScale * 1000,
    fails: reason !== "",
    reason,
    sampleCount: sampleCountOf(endpoint, body),
    video: markers.wrongVideo
      ? wrongVideoOf(requestedVideoOf(endpoint, body))
      : requestedVideoOf(endpoint, body),
    seed,
    polls: 0,
    finalObservedAtMs: undefined,
  };
}
