import { describe, expect, it } from "vitest";
import { prettyLogLine } from "../src/index.ts";

describe("prettyLogLine", () => {
  it("writes time, level, message and fields, without the logger's name and pid", () => {
    const line = JSON.stringify({
      level: 30,
      time: "2026-12-01T18:57:10.859Z",
      pid: 1,
      hostname: "vm",
      name: "worker",
      roles: ["submit", "poll"],
      customId: "shot 1",
      msg: "workers started",
    });
    expect(prettyLogLine(line)).toBe(
      '18:57:10  INFO   workers started  roles=submit,poll  customId="shot 1"\n',
    );
  });

  it("shows an error's message and passes lines that are not JSON through", () => {
    const line = JSON.stringify({
      level: 50,
      time: "2026-12-01T18:57:10.859Z",
      err: { type: "Error", message: "boom", stack: "Error: boom\n    at x" },
      msg: "failed",
    });
    expect(prettyLogLine(line)).toBe('18:57:10  ERROR  failed  err="boom"\n');
    expect(prettyLogLine("plain\n")).toBe("plain\n");
  });
});
