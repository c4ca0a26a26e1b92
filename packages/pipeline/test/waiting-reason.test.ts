import { describe, expect, it } from "vitest";
import { type QueueRole, type WaitingInputs, waitingReasonOf } from "../src/index.ts";
import { missingKeyWaitMs } from "../src/stages/pipeline-context.ts";

const ALL: QueueRole[] = ["submit", "poll", "download"];
const base = (over: Partial<WaitingInputs> = {}): WaitingInputs => ({
  counts: { queued: 3, processing: 0, downloading: 0 },
  liveRoles: new Set(ALL),
  control: { state: "running" },
  credentialsStop: undefined,
  submitPaused: false,
  slots: { inUse: 1, cap: 4, paceUntil: 0 },
  now: 10_000,
  ...over,
});

describe("waitingReasonOf", () => {
  it("says plainly which role no live worker has, before anything else", () => {
    const reason = waitingReasonOf(
      base({
        liveRoles: new Set<QueueRole>(["poll"]),
        counts: { queued: 2, processing: 1, downloading: 5 },
        submitPaused: true,
      }),
    );
    expect(reason?.code).toBe("no_worker");
    expect(reason?.message).toBe(
      "no submit worker is running (2 item(s) queued); no download worker is running (5 item(s) to download)",
    );
  });

  it("does not blame a missing role that has nothing to do", () => {
    expect(
      waitingReasonOf(
        base({
          liveRoles: new Set<QueueRole>(["submit"]),
          counts: { queued: 0, processing: 0, downloading: 0 },
        }),
      ),
    ).toBeUndefined();
    expect(waitingReasonOf(base())).toBeUndefined();
  });

  it("names the stop, the pause and the budget in that order", () => {
    const paused = { state: "paused", reason: "budget", at: 1 } as const;
    expect(waitingReasonOf(base({ credentialsStop: "401", control: paused }))?.code).toBe(
      "credentials_stop",
    );
    expect(waitingReasonOf(base({ submitPaused: true, control: paused }))?.code).toBe(
      "submit_paused",
    );
    expect(waitingReasonOf(base({ control: paused }))?.code).toBe("budget");
    expect(
      waitingReasonOf(base({ control: { state: "paused", reason: "daily_budget", at: 1 } }))?.code,
    ).toBe("daily_budget");
    expect(
      waitingReasonOf(base({ control: { state: "paused", reason: "user", at: 1 } }))?.code,
    ).toBe("batch_paused");
    expect(
      waitingReasonOf(base({ control: { state: "cancelled", dropInFlight: false, at: 1 } })),
    ).toBeUndefined();
  });

  it("blames the provider cap when every slot is taken, then the RPM pace", () => {
    expect(waitingReasonOf(base({ slots: { inUse: 4, cap: 4, paceUntil: 20_000 } }))).toEqual({
      code: "provider_cap",
      message: "every provider slot is in use (4/4 tasks in flight)",
    });
    expect(waitingReasonOf(base({ slots: { inUse: 1, cap: 4, paceUntil: 20_000 } }))?.code).toBe(
      "rpm_pacing",
    );
    expect(
      waitingReasonOf(base({ slots: { inUse: 1, cap: 4, paceUntil: 9_000 } })),
    ).toBeUndefined();
  });

  it("names the API key a batch's tasks wait for when no live worker of their stage holds it", () => {
    const waiting = base({
      counts: { queued: 0, processing: 2, downloading: 0 },
      keyWait: { key: "sim-b", role: "poll", at: 9_000 },
      liveKeys: new Map([
        ["poll", new Set(["sim-a"])],
        ["submit", new Set(["sim-a", "sim-b"])],
      ]),
    });
    expect(waitingReasonOf(waiting)).toEqual({
      code: "key_missing",
      message:
        "no live poll worker holds API key sim-b, which created tasks of this batch: they wait (nothing fails); start a poll worker with that key (JIEKOU_API_KEYS or JIEKOU_API_KEYS_FILE)",
    });
    // A live poll worker holds it (or does not say which keys it holds: an older version).
    const holders = (keys: string[]) => new Map([["poll" as QueueRole, new Set(keys)]]);
    expect(waitingReasonOf({ ...waiting, liveKeys: holders(["sim-a", "sim-b"]) })).toBeUndefined();
    expect(waitingReasonOf({ ...waiting, liveKeys: holders(["*"]) })).toBeUndefined();
    // Nothing at that stage any more, or a wait long past: no reason.
    expect(
      waitingReasonOf({ ...waiting, counts: { queued: 0, processing: 0, downloading: 2 } }),
    ).toBeUndefined();
    expect(waitingReasonOf({ ...waiting, now: 9_000 + 20_001 })).toBeUndefined();
  });
});

describe("missingKeyWaitMs: a job left for lack of its key", () => {
  it("backs off from about a second to a bound while a live worker holds the key; waits the bound when none does", () => {
    const waits = [0, 1, 2, 3, 4, 5, 6, 10, 100].map((n) => missingKeyWaitMs(n, true, 0.5));
    expect(waits).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000, 10_000, 10_000]);
    // Jittered 0.5-1.5x.
    expect(missingKeyWaitMs(0, true, 0)).toBe(500);
    expect(missingKeyWaitMs(0, true, 0.999)).toBe(1_499);
    expect(missingKeyWaitMs(0, false, 0.5)).toBe(10_000);
  });
});
