/** Slots of the hash table per entry at most (load factor 1/2), and the starting sizes. */
const MAX_LOAD = 0.5;
const FIRST_ENTRIES = 1024;
const FIRST_ARENA_BYTES = 64 * 1024;
const EMPTY = -1;

/**
 * A map from short ASCII strings (custom ids, request fingerprints) to whole numbers below 2^32,
 * for the per-manifest bookkeeping that must see every line of a million-line manifest: the keys'
 * bytes are packed into one growing buffer and the entries into typed arrays, about 20 bytes plus
 * the key's length per entry, where a `Map<string, number>` costs about 70. Exact: a key matches
 * only a key with the same bytes. Keys must be ASCII (each character below 128) and at most 65,535
 * characters long; nothing is ever removed.
 */
export class AsciiKeyMap {
  #arena = Buffer.allocUnsafe(FIRST_ARENA_BYTES);
  #arenaUsed = 0;
  #starts = new Uint32Array(FIRST_ENTRIES);
  #lengths = new Uint16Array(FIRST_ENTRIES);
  #values = new Uint32Array(FIRST_ENTRIES);
  #hashes = new Uint32Array(FIRST_ENTRIES);
  #size = 0;
  /** Entry index per slot, EMPTY when free; its length is a power of two. */
  #slots = new Int32Array(FIRST_ENTRIES * 2).fill(EMPTY);

  get size(): number {
    return this.#size;
  }

  get(key: string): number | undefined {
    const entry = this.#find(key, hashOf(key));
    return entry === EMPTY ? undefined : this.#values[entry];
  }

  set(key: string, value: number): void {
    if (key.length > 0xffff) throw new RangeError("AsciiKeyMap keys are at most 65,535 characters");
    const hash = hashOf(key);
    const found = this.#find(key, hash);
    if (found !== EMPTY) {
      this.#values[found] = value;
      return;
    }
    if (this.#size + 1 > this.#slots.length * MAX_LOAD) this.#growSlots();
    if (this.#size === this.#starts.length) this.#growEntries();
    if (this.#arenaUsed + key.length > this.#arena.length) this.#growArena(key.length);
    for (let i = 0; i < key.length; i++) {
      if (key.charCodeAt(i) > 0x7f) throw new RangeError("AsciiKeyMap keys must be ASCII");
    }
    const entry = this.#size++;
    this.#arena.write(key, this.#arenaUsed, "latin1");
    this.#starts[entry] = this.#arenaUsed;
    this.#lengths[entry] = key.length;
    this.#values[entry] = value;
    this.#hashes[entry] = hash;
    this.#arenaUsed += key.length;
    this.#place(entry, hash);
  }

  /** The entry holding `key`, or EMPTY. */
  #find(key: string, hash: number): number {
    const mask = this.#slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = this.#slots[slot] ?? EMPTY;
      if (entry === EMPTY) return EMPTY;
      if (this.#hashes[entry] === hash && this.#holds(entry, key)) return entry;
    }
  }

  #holds(entry: number, key: string): boolean {
    if (this.#lengths[entry] !== key.length) return false;
    const start = this.#starts[entry] ?? 0;
    for (let i = 0; i < key.length; i++) {
      if (this.#arena[start + i] !== key.charCodeAt(i)) return false;
    }
    return true;
  }

  #place(entry: number, hash: number): void {
    const mask = this.#slots.length - 1;
    let slot = hash & mask;
    while (this.#slots[slot] !== EMPTY) slot = (slot + 1) & mask;
    this.#slots[slot] = entry;
  }

  #growSlots(): void {
    this.#slots = new Int32Array(this.#slots.length * 2).fill(EMPTY);
    for (let entry = 0; entry < this.#size; entry++) {
      this.#place(entry, this.#hashes[entry] ?? 0);
    }
  }

  #growEntries(): void {
    const grow = <T extends Uint32Array | Uint16Array>(old: T, make: (n: number) => T): T => {
      const next = make(old.length * 2);
      next.set(old);
      return next;
    };
    this.#starts = grow(this.#starts, (n) => new Uint32Array(n));
    this.#lengths = grow(this.#lengths, (n) => new Uint16Array(n));
    this.#values = grow(this.#values, (n) => new Uint32Array(n));
    this.#hashes = grow(this.#hashes, (n) => new Uint32Array(n));
  }

  #growArena(needed: number): void {
    let length = this.#arena.length * 2;
    while (length < this.#arenaUsed + needed) length *= 2;
    const next = Buffer.allocUnsafe(length);
    this.#arena.copy(next, 0, 0, this.#arenaUsed);
    this.#arena = next;
  }
}

/** FNV-1a over the key's character codes (32 bits). */
function hashOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
