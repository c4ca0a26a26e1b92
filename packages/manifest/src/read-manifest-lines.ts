/** One line of the manifest as read: its text, or why it could not be read as text. */
export type ManifestLine =
  | { number: number; text: string; problem?: undefined }
  | { number: number; text?: undefined; problem: string };

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Splits a byte stream into lines (`\n`, or `\r\n`) and decodes each as strict UTF-8. A line
 * longer than `maxLineBytes` is skipped as it streams past (only its length is kept) and
 * reported; so is a line that is not valid UTF-8. Lines are numbered from 1.
 */
export async function* readManifestLines(
  chunks: AsyncIterable<Buffer>,
  maxLineBytes: number,
  /**
   * Called with the bytes of each line read as text (its `\r` included, without the `\n`),
   * just before the line is yielded: a view into the read buffer, valid while it is referenced.
   */
  onLineBytes?: (bytes: Buffer) => void,
): AsyncGenerator<ManifestLine> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let parts: Buffer[] = [];
  let length = 0;
  let overLong = false;
  let number = 0;

  const finish = (): ManifestLine => {
    number++;
    const line = overLong
      ? undefined
      : parts.length === 1
        ? parts[0]
        : Buffer.concat(parts, length);
    const bytes = length;
    parts = [];
    length = 0;
    overLong = false;
    if (line === undefined) {
      return {
        number,
        problem: `is ${bytes} bytes long, more than the line limit of ${maxLineBytes} bytes (MAX_LINE_BYTES: five 20 MiB images as base64 plus 1 MiB)`,
      };
    }
    const end =
      line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN ? line.length - 1 : line.length;
    try {
      const text = decoder.decode(line.subarray(0, end));
      onLineBytes?.(line);
      return { number, text };
    } catch {
      return { number, problem: "is not valid UTF-8 text; save the manifest as UTF-8" };
    }
  };

  const append = (piece: Buffer): void => {
    length += piece.length;
    if (overLong) return;
    if (length > maxLineBytes) {
      overLong = true;
      parts = [];
      return;
    }
    if (piece.length > 0) parts.push(piece);
  };

  for await (const chunk of chunks) {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(NEWLINE, start);
      if (newline === -1) break;
      append(chunk.subarray(start, newline));
      yield finish();
      start = newline + 1;
    }
    if (start < chunk.length) append(chunk.subarray(start));
  }
  if (length > 0 || overLong) yield finish();
}
