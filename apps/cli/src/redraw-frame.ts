/**
 * What `status --watch` writes to replace its previous frame of `previousLines` lines with
 * `lines`, in place: the cursor goes up over the old frame, each line is cleared and rewritten
 * (no screen clear), then what is below is erased (ESC [J): a shorter frame leaves none of the
 * old frame's lines behind, and the cursor ends under the new frame.
 */
export function redrawFrame(previousLines: number, lines: readonly string[]): string {
  const up = previousLines > 0 ? `\x1b[${previousLines}A` : "";
  return `${up}${lines.map((line) => `\r\x1b[2K${line}\n`).join("")}\x1b[J`;
}
