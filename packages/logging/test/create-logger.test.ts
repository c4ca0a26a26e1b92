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

  it("writes no command arguments a Redis client hangs on an error, under any key", () => {
    const { lines, destination } = capture();
    // No secrets given: the serializer alone must keep the password out.
    const log = createLogger({ destination });
    const auth = Object.assign(new Error("WRONGPASS invalid username-password pair"), {
      code: "WRONGPASS",
      command: { name: "auth", args: ["canary-pw-1"] },
    });
    const exec = Object.assign(new Error("EXECABORT"), { previousErrors: [auth] });
    const cluster = Object.assign(new Error("Failed to refresh slots cache."), {
      lastNodeError: auth,
    });
    log.error({ err: auth }, "worker error");
    log.warn({ error: exec, other: cluster }, "queue error");
    log.error(new Error("outer", { cause: auth }));
    const out = lines.join("");
    expect(out).not.toContain("canary-pw-1");
    const first = JSON.parse(lines[0] ?? "");
    expect(first.err).toMatchObject({ type: "Error", code: "WRONGPASS" });
    expect(first.err.message).toContain("WRONGPASS");
    expect(JSON.parse(lines[2] ?? "").err.cause.message).toContain("WRONGPASS");
  });

  it("redacts the password of any URL in a line", () => {
    const { lines, destination } = capture();
    createLogger({ destination }).warn(
      { target: "rediss://veoq:canary-pw-2@redis.internal:6380/0" },
      "cannot reach redis://:canary-pw-3@127.0.0.1:6379",
    );
    const out = lines.join("");
    expect(out).not.toMatch(/canary-pw-[23]/);
    expect(out).toContain("rediss://veoq:[REDACTED]@redis.internal:6380/0");
    expect(out).toContain("redis://:[REDACTED]@127.0.0.1:6379");
  });
});
