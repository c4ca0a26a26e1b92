import { describe, expect, it } from "vitest";
import { type QueueRole, type WaitingInputs, waitingReasonOf } from "../src/index.ts";

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
});
