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

/** Splits a pass's lines into LineBlockDigests' blocks and digests each. */
export class LineBlockHasher {
  private hash: Hash | undefined;
  private lines = 0;
  private chars = 0;

  /**
   * Adds one line as read (its text, or for a line that could not be read, its problem); returns
   * the block's digest when this line ended a block, else undefined.
   */
  add(number: number, text: string | undefined, problem: string | undefined): Buffer | undefined {
    const hash = this.hash ?? createHash("sha1");
    this.hash = hash;
    // The line number too: a blank line moved between blocks changes them.
    hash.update(text === undefined ? `${number}!${problem ?? ""}\n` : `${number}:${text}\n`);
    this.lines++;
    this.chars += text?.length ?? 0;
    return this.lines >= BLOCK_LINES || this.chars >= BLOCK_CHARS ? this.end() : undefined;
  }

  /** Ends the block under way (at the end of the file); undefined when it has no line. */
  end(): Buffer | undefined {
    if (this.hash === undefined) return undefined;
    const digest = this.hash.digest();
    this.hash = undefined;
    this.lines = 0;
    this.chars = 0;
    return digest;
  }
}
