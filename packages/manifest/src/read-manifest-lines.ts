/** One line of the manifest as read: its text, or why it could not be read as text. */
export type ManifestLine =
  | { number: number; text: string; problem?: undefined }
  | { number: number; text?: undefined; problem: string };

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** The lines of one read buffer (readManifestLineBatches). */
export interface ManifestLineBatch {
  lines: ManifestLine[];
  /**
   * With `keepBytes`: the bytes of each line read as text (its `\r` included, without the
   * `\n`; a view into the read buffer), undefined for a line that could not be read.
   */
  bytes: (Buffer | undefined)[] | undefined;
}

/**
 * Splits a byte stream into lines (`\n`, or `\r\n`) and decodes each as strict UTF-8. A line
 * longer than `maxLineBytes` is skipped as it streams past (only its length is kept) and
 * reported; so is a line that is not valid UTF-8. Lines are numbered from 1.
 */
export async function* readManifestLines(
  chunks: AsyncIterable<Buffer>,
  maxLineBytes: number,
): AsyncGenerator<ManifestLine> {
  for await (const batch of readManifestLineBatches(chunks, maxLineBytes)) yield* batch.lines;
}

/**
 * readManifestLines, a batch per read buffer (the lines that end in it): one await per buffer
 * rather than per line, for callers going through millions of lines.
 */
export async function* readManifestLineBatches(
  chunks: AsyncIterable<Buffer>,
  maxLineBytes: number,
  keepBytes = false,
): AsyncGenerator<ManifestLineBatch> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let parts: Buffer[] = [];
  let length = 0;
  let overLong = false;
  let number = 0;
  let lines: ManifestLine[] = [];
  let bytes: (Buffer | undefined)[] | undefined = keepBytes ? [] : undefined;

  const finish = (): void => {
    number++;
    const line = overLong
      ? undefined
      : parts.length === 1
        ? parts[0]
        : Buffer.concat(parts, length);
    const size = length;
    parts = [];
    length = 0;
    overLong = false;
    if (line === undefined) {
      lines.push({
        number,
        problem: `is ${size} bytes long, more than the line limit of ${maxLineBytes} bytes (MAX_LINE_BYTES: five 20 MiB images as base64 plus 1 MiB)`,
      });
      bytes?.push(undefined);
      return;
    }
    const end =
      line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN ? line.length - 1 : line.length;
    try {
      lines.push({ number, text: decoder.decode(line.subarray(0, end)) });
      bytes?.push(line);
    } catch {
      lines.push({ number, problem: "is not valid UTF-8 text; save the manifest as UTF-8" });
      bytes?.push(undefined);
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

  const batch = (): ManifestLineBatch => {
    const done = { lines, bytes };
    lines = [];
    bytes = keepBytes ? [] : undefined;
    return done;
  };

  for await (const chunk of chunks) {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(NEWLINE, start);
      if (newline === -1) break;
      append(chunk.subarray(start, newline));
      finish();
      start = newline + 1;
    }
    if (start < chunk.length) append(chunk.subarray(start));
    if (lines.length > 0) yield batch();
  }
  if (length > 0 || overLong) finish();
  if (lines.length > 0) yield batch();
}
