import type { EndpointSlug, RequestedVideo } from "@veoq/contract";
import { InFlightTracker } from "./in-flight-tracker.ts";
import { finishedAtMsOf, type TaskTimeline } from "./task-timeline.ts";

/** Everything the simulator keeps about one task (bodies and images are not kept). */
export interface TaskRecord extends TaskTimeline {
  taskId: string;
  endpoint: EndpointSlug;
  /** The API key that created the task; only used for per-key limits, never reported. */
  ownerKey: string;
  /** Failure reason when `fails`, "" otherwise. */
  reason: string;
  /** Number of videos the task produces. */
  sampleCount: number;
  /** Duration, frame size and audio of the videos it serves (the request's, unless a marker says otherwise). */
  video: RequestedVideo;
  /** Seed reported in `extra.seed`. */
  seed: number;
  /** Task-result requests seen for this task. */
  polls: number;
  /** When a poll first returned a final status. */
  finalObservedAtMs: number | undefined;
}

/**
 * The tasks created so far, the bodies already accepted (and the permanent reason a body was
 * refused for), and the in-flight counts.
 */
export class TaskStore {
  readonly #tasks = new Map<string, TaskRecord>();
  readonly #acceptedBodies = new Map<string, number>();
  readonly #permanentReasons = new Map<string, string>();
  readonly #inFlight = new InFlightTracker();

  add(task: TaskRecord, nowMs: number): void {
    this.#tasks.set(task.taskId, task);
    this.#inFlight.add(task.ownerKey, finishedAtMsOf(task), nowMs);
  }

  get(taskId: string): TaskRecord | undefined {
    return this.#tasks.get(taskId);
  }

  all(): IterableIterator<TaskRecord> {
    return this.#tasks.values();
  }

  /** How many creates with this canonical body hash were accepted before. */
  acceptedCountOfBody(bodyHash: string): number {
    return this.#acceptedBodies.get(bodyHash) ?? 0;
  }

  recordAcceptedBody(bodyHash: string): void {
    this.#acceptedBodies.set(bodyHash, this.acceptedCountOfBody(bodyHash) + 1);
  }

  /** The permanent reason an earlier task with this body failed for, if one did. */
  permanentReasonOfBody(bodyHash: string): string | undefined {
    return this.#permanentReasons.get(bodyHash);
  }

  recordPermanentReason(bodyHash: string, reason: string): void {
    this.#permanentReasons.set(bodyHash, reason);
  }

  inFlightTotal(nowMs: number): number {
    return this.#inFlight.total(nowMs);
  }

  inFlightOf(key: string, nowMs: number): number {
    return this.#inFlight.countOf(key, nowMs);
  }
}
