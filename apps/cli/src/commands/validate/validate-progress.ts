import cliProgress from "cli-progress";

/** Manifests smaller than this finish too fast for a progress bar to help. */
const MIN_BYTES_FOR_PROGRESS = 1024 * 1024;

/** Lines between two progress updates. */
const LINES_PER_UPDATE = 1000;

/**
 * A progress bar on stderr (by bytes read), shown only when stderr is a terminal and the
 * manifest is at least 1 MiB. When stdout is the same terminal, `clear()` wipes the bar's line
 * before report lines are printed, and the bar redraws itself below them.
 */
export class ValidateProgress {
  readonly #stderr: NodeJS.WriteStream;
  readonly #sharesTerminal: boolean;
  #bar: cliProgress.SingleBar | undefined;
  #disabled: boolean;
  #lines = 0;

  constructor(stdout: NodeJS.WriteStream, stderr: NodeJS.WriteStream) {
    this.#stderr = stderr;
    this.#disabled = stderr.isTTY !== true;
    this.#sharesTerminal = stdout.isTTY === true && stderr.isTTY === true;
  }

  /** Records one reported line; updates the bar every `LINES_PER_UPDATE` lines. */
  update(bytesRead: number, totalBytes: number): void {
    this.#lines++;
    if (this.#disabled || this.#lines % LINES_PER_UPDATE !== 0) return;
    if (this.#bar === undefined) {
      if (totalBytes < MIN_BYTES_FOR_PROGRESS) {
        this.#disabled = true;
        return;
      }
      this.#bar = new cliProgress.SingleBar(
        {
          stream: this.#stderr,
          format: "validating {bar} {percentage}% | {lines} lines | ETA {eta_formatted}",
          clearOnComplete: true,
          hideCursor: true,
          forceRedraw: this.#sharesTerminal,
        },
        cliProgress.Presets.shades_classic,
      );
      this.#bar.start(totalBytes, 0, { lines: 0 });
    }
    this.#bar.update(Math.min(bytesRead, totalBytes), { lines: this.#lines });
  }

  /** Wipes the bar's line so that output to the same terminal starts on a clean line. */
  clear(): void {
    if (this.#bar !== undefined && this.#sharesTerminal) this.#stderr.write("\r\x1b[2K");
  }

  /** Removes the bar for good. */
  stop(): void {
    this.#bar?.stop();
    this.#bar = undefined;
    this.#disabled = true;
  }
}
