import { describe, expect, it } from "vitest";
import { redrawFrame } from "../src/redraw-frame.ts";

/** Erase line, erase below or cursor up: the escapes redrawFrame writes. */
const ESCAPE = new RegExp(`^${String.fromCharCode(27)}\\[(\\d*)([AJK])`);

/** A small terminal: applies what redrawFrame writes (CR, LF, erase line, cursor up) to rows. */
function screenAfter(writes: readonly string[]): string[] {
  const rows: string[] = [];
  let row = 0;
  let col = 0;
  for (const text of writes) {
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch === "\x1b") {
        const match = ESCAPE.exec(text.slice(i));
        if (!match) throw new Error(`unknown escape at ${JSON.stringify(text.slice(i, i + 6))}`);
        if (match[2] === "A") row = Math.max(0, row - Number(match[1] || 1));
        else if (match[2] === "K") rows[row] = "";
        else rows.fill("", row);
        i += match[0].length - 1;
      } else if (ch === "\r") col = 0;
      else if (ch === "\n") {
        row++;
        col = 0;
      } else {
        const line = (rows[row] ?? "").padEnd(col);
        rows[row] = `${line.slice(0, col)}${ch}${line.slice(col + 1)}`;
        col++;
      }
    }
  }
  return rows; // every row ever written: a stale line below the frame shows
}

describe("status --watch frames", () => {
  it("a frame two or more lines shorter leaves no stale line behind", () => {
    const long = ["batch a", "  queued 3", "  !! waiting: no worker", "  !! PAUSED", "queue x"];
    const short = ["batch a", "  completed 3"];
    const screen = screenAfter([redrawFrame(0, long), redrawFrame(long.length, short)]);
    expect(screen.filter((line) => line !== "")).toEqual(short);
    // The cursor ends under the new frame: the next frame replaces exactly it.
    const next = ["batch a", "  completed 3", "all done"];
    const after = screenAfter([redrawFrame(0, long), redrawFrame(5, short), redrawFrame(2, next)]);
    expect(after.filter((line) => line !== "")).toEqual(next);
  });

  it("a longer frame overwrites the shorter one line by line", () => {
    const screen = screenAfter([
      redrawFrame(0, ["a", "bbbbbbbb"]),
      redrawFrame(2, ["c", "d", "e"]),
    ]);
    expect(screen).toEqual(["c", "d", "e"]);
  });
});
