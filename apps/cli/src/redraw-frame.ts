/**
 * What `status --watch` writes to replace its previous frame of `previousLines` lines with
 * `lines`, in place: the cursor goes up over the old frame, each line is cleared and rewritten
 * (no screen clear), and when the new frame is shorter the old frame's extra lines are cleared
 * too, the cursor ending under the new frame.
 */
export function redrawFrame(previousLines: number, lines: readonly string[]): string {
  const up = previousLines > 0 ? `\x1b[${previousLines}A` : "";
  const extra = Math.max(0, previousLines - lines.length);
  const cleared = extra > 0 ? `${"\r\x1b[2K\n".repeat(extra)}\x1b[${extra}A` : "";
  return `${up}${lines.map((line) => `\r\x1b[2K${line}\n`).join("")}${cleared}`;
}
