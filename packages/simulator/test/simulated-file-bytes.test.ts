import { describe, expect, it } from "vitest";
import { simulatedFileBytes } from "../src/simulated-file-bytes.ts";

function boxesOf(bytes: Buffer): { type: string; size: number }[] {
  const boxes: { type: string; size: number }[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const size = bytes.readUInt32BE(offset);
    boxes.push({ type: bytes.toString("latin1", offset + 4, offset + 8), size });
    if (size < 8) throw new Error("bad box size");
    offset += size;
  }
  expect(offset).toBe(bytes.length);
  return boxes;
}

describe("simulatedFileBytes", () => {
  it("is a well-formed MP4 of the requested size: ftyp, moov, free, mdat", () => {
    const bytes = simulatedFileBytes("task-1", 0, 8192);
    expect(bytes.length).toBe(8192);
    expect(boxesOf(bytes).map((box) => box.type)).toEqual(["ftyp", "moov", "free", "mdat"]);
    expect(bytes.toString("latin1")).toContain("task=task-1 index=0");
  });

  it("is a pure function of task id and index, and differs between them", () => {
    const a = simulatedFileBytes("task-1", 0, 4096);
    expect(simulatedFileBytes("task-1", 0, 4096).equals(a)).toBe(true);
    expect(simulatedFileBytes("task-1", 1, 4096).equals(a)).toBe(false);
    expect(simulatedFileBytes("task-2", 0, 4096).equals(a)).toBe(false);
  });

  it("keeps every box when the requested size is too small", () => {
    const bytes = simulatedFileBytes("task-1", 0, 10);
    expect(boxesOf(bytes).map((box) => box.type)).toEqual(["ftyp", "moov", "free", "mdat"]);
  });
});
