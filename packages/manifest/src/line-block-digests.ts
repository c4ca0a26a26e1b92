import { createHash, type Hash } from "node:crypto";

/** Most lines in one block. */
const BLOCK_LINES = 256;
/** A block also ends once its lines hold this many characters (lines of inline images are large). */
const BLOCK_CHARS = 1 << 20;

/**
 * What one pass over a manifest read, as a digest (sha1, 20 bytes) of each block of up to 256
 * lines (fewer when they are long): a later pass over the same file compares its blocks with
 * these, so it can tell, before it uses a block's lines, that they are the very text the first
 * pass checked (validateManifest's `checkedBefore`). Block ends depend only on the text, so an
 * unchanged file gives the same blocks; a changed line changes its block's digest (and a changed
 * length may shift every later block, which then are checked again: slower, never wrong).
 * ~80 bytes per block: under 0.5 MB for a million lines.
 */
export class LineBlockDigests {
  private readonly digests: Buffer[] = [];

  /** The digest of block `index` as recorded, or undefined past the recorded end. */
  digestOf(index: number): Buffer | undefined {
    return this.digests[index];
  }

  /** Records the digest of the next block (blocks are recorded in order, from 0). */
  record(digest: Buffer): void {
    this.digests.push(digest);
  }

  /** Blocks recorded. */
  get length(): number {
    return this.digests.length;
  }
}

const NEWLINE = Buffer.from("\n");

/**
 * Splits a pass's lines into LineBlockDigests' blocks and digests each: the block's first line
 * number, then each line's bytes and a newline (a line that could not be read: its number and
 * problem instead). Consecutive lines of one read buffer are hashed as one range of it (their
 * newlines are in it), so a block costs a few hash updates, not one or two per line.
 */
export class LineBlockHasher {
  private hash: Hash | undefined;
  private lines = 0;
  private chars = 0;
  /** Lines not hashed yet: a range of `memory`, from the first line's start to the last's end. */
  private memory: Uint8Array | undefined;
  private pendingStart = 0;
  private pendingEnd = 0;
  private hasPending = false;

  /**
   * Adds one line as read: its bytes (as readManifestLines reads them), or for a line that could
   * not be read, its problem; returns the block's digest when this line ended a block, else
   * undefined.
   */
  add(number: number, bytes: Buffer | undefined, problem: string | undefined): Buffer | undefined {
    let hash = this.hash;
    if (hash === undefined) {
      hash = createHash("sha1");
      this.hash = hash;
      // The first line's number: a blank line moved between blocks changes them.
      hash.update(`${number}:`);
    }
    if (bytes === undefined) {
      this.flush(hash);
      hash.update(`${number}!${problem ?? ""}\n`);
    } else {
      const start = bytes.byteOffset;
      const memory = this.memory;
      if (
        this.hasPending &&
        memory !== undefined &&
        bytes.buffer === memory.buffer &&
        start === this.pendingEnd + 1 &&
        memory[this.pendingEnd] === 0x0a
      ) {
        // The next line of the same buffer, after exactly one newline: the range grows.
        this.pendingEnd = start + bytes.length;
      } else {
        this.flush(hash);
        this.memory =
          memory?.buffer === bytes.buffer ? memory : new Uint8Array(bytes.buffer as ArrayBuffer);
        this.pendingStart = start;
        this.pendingEnd = start + bytes.length;
        this.hasPending = true;
      }
      this.chars += bytes.length;
    }
    this.lines++;
    return this.lines >= BLOCK_LINES || this.chars >= BLOCK_CHARS ? this.end() : undefined;
  }

  /** Ends the block under way (at the end of the file); undefined when it has no line. */
  end(): Buffer | undefined {
    if (this.hash === undefined) return undefined;
    this.flush(this.hash);
    const digest = this.hash.digest();
    this.hash = undefined;
    this.lines = 0;
    this.chars = 0;
    return digest;
  }

  /** Hashes the pending lines, each followed by a newline. */
  private flush(hash: Hash): void {
    if (!this.hasPending || this.memory === undefined) return;
    hash.update(this.memory.subarray(this.pendingStart, this.pendingEnd));
    hash.update(NEWLINE);
    this.hasPending = false;
  }
}
