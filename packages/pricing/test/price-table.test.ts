import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  CostTally,
  DEFAULT_PRICE_TABLE_PATH,
  formatMoney,
  loadPriceTable,
  PriceTableError,
  parseAmount,
  parsePriceTable,
  requestCost,
} from "../src/index.ts";

const defaultJson = () =>
  JSON.parse(readFileSync(DEFAULT_PRICE_TABLE_PATH, "utf8")) as {
    currency: string;
    prices: { model: string; perSecond: number; source: string; asOf: string }[];
  };

describe("the default price table", () => {
  it("loads, and every price names its source and date", () => {
    const table = loadPriceTable(undefined);
    expect(table.currency).toBe("USD");
    expect(table.perSecondMicros.size).toBe(8);
    for (const entry of defaultJson().prices) {
      expect(entry.source).toMatch(/unverified/);
      expect(entry.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });
});

describe("parsePriceTable", () => {
  it("rejects an unknown model and a negative price in one error naming both entries", () => {
    const json = defaultJson();
    json.prices[0] = { ...(json.prices[0] as (typeof json.prices)[0]), model: "veo-9" };
    json.prices[3] = { ...(json.prices[3] as (typeof json.prices)[0]), perSecond: -0.1 };
    const thrown = (() => {
      try {
        parsePriceTable(json, "my-prices.json");
      } catch (error) {
        return error;
      }
    })();
    expect(thrown).toBeInstanceOf(PriceTableError);
    const message = (thrown as Error).message;
    expect(message).toContain("my-prices.json");
    expect(message).toContain('prices[0].model: unknown model "veo-9"');
    expect(message).toContain("prices[3].perSecond: a price cannot be negative");
  });

  it("names a missing model × resolution × audio combination", () => {
    const json = defaultJson();
    json.prices = json.prices.slice(1);
    expect(() => parsePriceTable(json, "p.json")).toThrow(
      /no price for veo-3\.1-generate-img2video\|720p\|audio/,
    );
  });

  it("names a file that cannot be read or is not JSON", () => {
    expect(() => loadPriceTable("/nonexistent/prices.json")).toThrow(/cannot be read \(ENOENT\)/);
  });
});

describe("requestCost and CostTally", () => {
  const table = loadPriceTable(undefined);

  it("multiplies the price by duration and sample count, with defaults", () => {
    // 8 s default, 2 samples, audio, 1080p: 16 s × 0.40
    expect(
      requestCost(table, "veo-3.1-generate-img2video", {
        prompt: "p",
        generate_audio: true,
        resolution: "1080p",
        sample_count: 2,
      }),
    ).toEqual({
      model: "veo-3.1-generate-img2video",
      resolution: "1080p",
      audio: true,
      videoSeconds: 16,
      costMicros: 6_400_000,
    });
    // Lite: `duration`, no audio by default, 720p by default: 4 s × 0.10
    expect(
      requestCost(table, "veo-3.1-lite-firstlastframe", { prompt: "p", duration: 4 }).costMicros,
    ).toBe(400_000);
  });

  it("adds up per model and resolution", () => {
    const tally = new CostTally(table.currency);
    tally.add(requestCost(table, "veo-3.1-lite-firstlastframe", { prompt: "p", duration: 4 }));
    tally.add(requestCost(table, "veo-3.1-lite-firstlastframe", { prompt: "p", duration: 6 }));
    tally.add(
      requestCost(table, "veo-3.1-generate-img2video", { prompt: "p", generate_audio: false }),
    );
    const estimate = tally.estimate();
    expect(estimate).toMatchObject({ tasks: 3, videoSeconds: 18, costMicros: 2_600_000 });
    expect(estimate.groups).toEqual([
      {
        model: "veo-3.1-generate-img2video",
        resolution: "720p",
        tasks: 1,
        videoSeconds: 8,
        costMicros: 1_600_000,
      },
      {
        model: "veo-3.1-lite-firstlastframe",
        resolution: "720p",
        tasks: 2,
        videoSeconds: 10,
        costMicros: 1_000_000,
      },
    ]);
  });
});

describe("money", () => {
  it("parses amounts a person types and refuses the rest", () => {
    expect(parseAmount("25")).toBe(25_000_000);
    expect(parseAmount("12.5")).toBe(12_500_000);
    expect(parseAmount("-1")).toBeUndefined();
    expect(parseAmount("1e3")).toBeUndefined();
    expect(parseAmount("abc")).toBeUndefined();
  });

  it("formats micros", () => {
    expect(formatMoney(12_400_000, "USD")).toBe("12.40 USD");
    expect(formatMoney(4_000, "USD")).toBe("0.0040 USD");
  });
});
