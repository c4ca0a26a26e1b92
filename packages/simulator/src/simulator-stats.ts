import type { TaskStatus } from "./task-timeline.ts";

/** Counters returned by `stats()` and `GET /__sim/stats`. */
export interface SimulatorStats {
  creates: {
    /** Create requests received (including rejected and dropped ones). */
    total: number;
    /** Creates that made a task (including those whose answer was then dropped). */
    accepted: number;
    /** Accepted creates per endpoint slug. */
    byEndpoint: Record<string, number>;
    /** Accepted creates whose canonical body (sorted-key JSON) had already been accepted before. */
    duplicateBodies: number;
    /**
     * Creates that made no task, by how they were answered: the HTTP status ("400", "401", "429",
     * "503"...), "dropped" (socket destroyed), "client-gone" (the client left during the injected
     * latency), "invalid-json" or "missing-task-id" (malformed 200).
     */
    rejected: Record<string, number>;
  };
  polls: {
    /** Task-result requests received. */
    total: number;
  };
  downloads: {
    /** File requests received. */
    total: number;
    /** File requests refused because the URL had expired. */
    expired: number;
  };
  /** Answers to API and file requests by HTTP status code, plus "dropped" for destroyed sockets. */
  responses: Record<string, number>;
  /** Tasks by current status. */
  tasks: Record<TaskStatus, number>;
  /** Tasks QUEUED or PROCESSING now. */
  inFlight: number;
  /** Highest `inFlight` seen since start or the last reset. */
  maxInFlightSeen: number;
  /**
   * Per key with its own limits (`veoq mock --keys`; absent without): creates accepted, creates
   * refused by answer, and tasks QUEUED or PROCESSING now.
   */
  by_key?: Record<string, KeyStats>;
}

/** One key's figures in `by_key`. */
export interface KeyStats {
  accepted: number;
  rejected: Record<string, number>;
  inFlight: number;
}

function increment(record: Record<string, number>, key: string): void {
  record[key] = (record[key] ?? 0) + 1;
}

/** Mutable counters behind `SimulatorStats`. */
export class StatsCollector {
  #createsTotal = 0;
  #accepted = 0;
  #byEndpoint: Record<string, number> = {};
  #duplicateBodies = 0;
  #rejected: Record<string, number> = {};
  #polls = 0;
  #downloads = 0;
  #expired = 0;
  #responses: Record<string, number> = {};
  #maxInFlightSeen = 0;
  #byKey = new Map<string, { accepted: number; rejected: Record<string, number> }>();

  #keyEntry(key: string) {
    let entry = this.#byKey.get(key);
    if (entry === undefined) {
      entry = { accepted: 0, rejected: {} };
      this.#byKey.set(key, entry);
    }
    return entry;
  }

  /** A create of `key` made a task (for `by_key`). */
  countKeyAccepted(key: string): void {
    this.#keyEntry(key).accepted += 1;
  }

  /** A create of `key` was refused with `answer` (for `by_key`). */
  countKeyRejected(key: string, answer: string): void {
    increment(this.#keyEntry(key).rejected, answer);
  }

  countCreate(): void {
    this.#createsTotal += 1;
  }

  countAccepted(endpoint: string, duplicateBody: boolean): void {
    this.#accepted += 1;
    increment(this.#byEndpoint, endpoint);
    if (duplicateBody) this.#duplicateBodies += 1;
  }

  countRejected(answer: string): void {
    increment(this.#rejected, answer);
  }

  countPoll(): void {
    this.#polls += 1;
  }

  countDownload(): void {
    this.#downloads += 1;
  }

  countExpiredDownload(): void {
    this.#expired += 1;
  }

  countResponse(answer: string): void {
    increment(this.#responses, answer);
  }

  noteInFlight(inFlight: number): void {
    if (inFlight > this.#maxInFlightSeen) this.#maxInFlightSeen = inFlight;
  }

  /** Zero every counter; `maxInFlightSeen` restarts from the current in-flight count. */
  reset(inFlight: number): void {
    this.#createsTotal = 0;
    this.#accepted = 0;
    this.#byEndpoint = {};
    this.#duplicateBodies = 0;
    this.#rejected = {};
    this.#polls = 0;
    this.#downloads = 0;
    this.#expired = 0;
    this.#responses = {};
    this.#byKey = new Map();
    this.#maxInFlightSeen = inFlight;
  }

  /** The counters now; `keyInFlight` (each listed key's tasks in flight) adds `by_key`. */
  snapshot(
    tasks: Record<TaskStatus, number>,
    inFlight: number,
    keyInFlight?: Record<string, number>,
  ): SimulatorStats {
    this.noteInFlight(inFlight);
    const byKey =
      keyInFlight === undefined
        ? {}
        : {
            by_key: Object.fromEntries(
              Object.entries(keyInFlight).map(([key, keyFlying]) => {
                const entry = this.#byKey.get(key);
                return [
                  key,
                  {
                    accepted: entry?.accepted ?? 0,
                    rejected: { ...entry?.rejected },
                    inFlight: keyFlying,
                  },
                ];
              }),
            ),
          };
    return {
      creates: {
        total: this.#createsTotal,
        accepted: this.#accepted,
        byEndpoint: { ...this.#byEndpoint },
        duplicateBodies: this.#duplicateBodies,
        rejected: { ...this.#rejected },
      },
      polls: { total: this.#polls },
      downloads: { total: this.#downloads, expired: this.#expired },
      responses: { ...this.#responses },
      tasks,
      inFlight,
      maxInFlightSeen: this.#maxInFlightSeen,
      ...byKey,
    };
  }
}
