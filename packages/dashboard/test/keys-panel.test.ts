import type { KeyFigures } from "@veoq/pipeline";
import { describe, expect, it } from "vitest";
import { keysPanel } from "../src/keys-panel.ts";

const key = (name: string, extra: Partial<KeyFigures> = {}): KeyFigures => ({
  name,
  state: "ok",
  inFlight: 2,
  cap: 5,
  max: 5,
  creates: 7,
  rateLimited: 1,
  spentMicros: 3_000_000,
  spentTodayMicros: 1_500_000,
  coolUntil: 0,
  stoppedBy: undefined,
  ...extra,
});

describe("the dashboard's API keys panel", () => {
  it("is absent for one key running fine, as before pools", () => {
    expect(keysPanel([], "USD")).toBe("");
    expect(keysPanel([key("key-0123456789ab")], "USD")).toBe("");
  });

  it("lists every key of a pool with its state, in flight, creates, 429s and spend", () => {
    const html = keysPanel(
      [key("prod-a"), key("prod-<b>", { state: "stopped", stoppedBy: "402 insufficient balance" })],
      "USD",
    );
    expect(html).toContain('data-keys="2"');
    expect(html).toContain('<tr data-key="prod-a" data-key-state="ok"><td>prod-a</td>');
    expect(html).toContain("<td>2/5</td><td>7</td><td>1</td>");
    expect(html).toContain("<b>stopped</b>");
    expect(html).toContain("402 insufficient balance");
    expect(html).toContain("veoq resume --key prod-&lt;b&gt;");
    expect(html).not.toContain("prod-<b>");
    // Money in the one format: an amount with its currency.
    expect(html).toMatch(/\d+\.\d{2} USD <span class="muted">\(\d+\.\d{2} USD in all\)/);
  });

  it("shows a stopped key even alone", () => {
    expect(keysPanel([key("solo", { state: "stopped", stoppedBy: "401" })], "USD")).toContain(
      'data-key-state="stopped"',
    );
  });
});
