import { describe, expect, it } from "vitest";
import { createLogger } from "../src/index.ts";

function capture() {
  const lines: string[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(line) } };
}

describe("createLogger", () => {
  it("writes one JSON event per line with the job fields", () => {
    const { lines, destination } = capture();
    const log = createLogger({ destination, name: "worker" });
    log
      .child({ batchId: "b1", customId: "shot-1", jobId: "b1~shot-1" })
      .info({ taskId: "t1" }, "submitted");
    expect(lines).toHaveLength(1);
    const event = JSON.parse(lines[0] ?? "");
    expect(event).toMatchObject({
      name: "worker",
      batchId: "b1",
      customId: "shot-1",
      jobId: "b1~shot-1",
      taskId: "t1",
      msg: "submitted",
    });
  });

  it("redacts credential fields by path", () => {
    const { lines, destination } = capture();
    const log = createLogger({ destination });
    log.info({ apiKey: "k-123456", headers: { authorization: "Bearer k-123456" } }, "request");
    expect(lines.join("")).not.toContain("k-123456");
    expect(lines.join("")).toContain("[REDACTED]");
  });

  it("scrubs secret values wherever they appear, error stacks included", () => {
    const { lines, destination } = capture();
    const log = createLogger({ destination, secrets: ["sk-live-abcdef", undefined] });
    const err = new Error("provider echoed sk-live-abcdef back");
    log.error({ err, note: "key sk-live-abcdef" }, "failed with sk-live-abcdef");
    const out = lines.join("");
    expect(out).not.toContain("sk-live-abcdef");
    expect(out.match(/\[REDACTED\]/g)?.length).toBeGreaterThanOrEqual(3);
  });

  it("leaves lines alone when there are no secrets", () => {
    const { lines, destination } = capture();
    createLogger({ destination }).info("plain");
    expect(JSON.parse(lines[0] ?? "").msg).toBe("plain");
  });
});
