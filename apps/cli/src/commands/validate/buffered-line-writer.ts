import { once } from "node:events";

/** Bytes gathered before they are written out. */
const DEFAULT_FLUSH_CHARS = 64 * 1024;

/**
 * Gathers output lines and writes them in large chunks, honouring backpressure: a 100,000-line
 * report costs a few dozen writes instead of 100,000.
 */
export class BufferedLineWriter {
  readonly #stream: NodeJS.WritableStream;
  readonly #flushChars: number;
  #chunks: string[] = [];
  #pendingChars = 0;
  #closed = false;

  /**
   * @param stream where the lines go (e.g. `process.stdout`)
   * @param flushChars characters gathered before `needsFlush` turns true (default 64 Ki)
   */
  constructor(stream: NodeJS.WritableStream, flushChars = DEFAULT_FLUSH_CHARS) {
    this.#stream = stream;
    this.#flushChars = flushChars;
  }

  /** Queues one line (a newline is added). */
  writeLine(line: string): void {
    this.#chunks.push(line, "\n");
    this.#pendingChars += line.length + 1;
  }

  /** Whether enough is queued that the caller should `await flush()`. */
  get needsFlush(): boolean {
    return this.#pendingChars >= this.#flushChars;
  }

  /** Whether anything is queued. */
  get hasPending(): boolean {
    return this.#pendingChars > 0;
  }

  /** Whether the reader went away (EPIPE, e.g. `veoq validate m.jsonl | head`): later lines are dropped. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Writes what is queued; resolves once the stream can take more, or once it is closed. */
  async flush(): Promise<void> {
    if (this.#pendingChars === 0) return;
    const text = this.#chunks.join("");
    this.#chunks = [];
    this.#pendingChars = 0;
    if (this.#closed) return;
    try {
      if (!this.#stream.write(text)) await once(this.#stream, "drain");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EPIPE") throw error;
      this.#closed = true;
    }
  }

  /** Treats a broken pipe on the stream as "closed" instead of an uncaught error. */
  watchForClose(): void {
    this.#stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") this.#closed = true;
    });
  }
}
