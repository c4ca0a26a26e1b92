import { describe, expect, it } from "vitest";
import { createMetricsRegistry, parsePrometheusText } from "../src/index.ts";

describe("parsePrometheusText", () => {
  it("reads what prom-client writes, including process metrics", async () => {
    const samples = parsePrometheusText(await createMetricsRegistry().metrics());
    expect(samples.some((s) => s.name === "process_cpu_user_seconds_total")).toBe(true);
  });

  it("reads labels with escapes, special values and timestamps", () => {
    const samples = parsePrometheusText(
      [
        "# HELP x_total help text",
        "# TYPE x_total counter",
        'x_total{a="b\\"c",d="e"} 3 1700000000000',
        'h_bucket{le="+Inf"} +Inf',
        "plain 1.5e3",
        "",
      ].join("\n"),
    );
    expect(samples).toEqual([
      { name: "x_total", labels: { a: 'b"c', d: "e" }, value: 3 },
      { name: "h_bucket", labels: { le: "+Inf" }, value: Number.POSITIVE_INFINITY },
      { name: "plain", labels: {}, value: 1500 },
    ]);
  });

  it("refuses lines that are not the exposition format", () => {
    expect(() => parsePrometheusText("<html>oops</html>")).toThrow(/line 1/);
    expect(() => parsePrometheusText("x_total{a=b} 1")).toThrow(/bad labels/);
    expect(() => parsePrometheusText("x_total twelve")).toThrow(/bad value/);
    expect(() => parsePrometheusText("# TYPE x_total countr")).toThrow(/bad TYPE/);
  });
});
