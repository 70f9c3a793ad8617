/**
 * A byte-bounded LRU with per-entry expiry: the internal response cache of one worker. A Map keeps
 * insertion order, so "move to most recent" is delete + set and the least recent entry is the
 * first key: no linked list of our own. Keys come from request data, so the bound counts them too
 * (DESIGN rule 5): an entry costs its key, its value and a fixed overhead.
 */
import { Buffer } from 'node:buffer';

/** What a Map entry and its record cost beyond key and value bytes, roughly. */
export const ENTRY_OVERHEAD_BYTES = 96;

interface Slot {
  value: Buffer;
  expiresAt: number;
  bytes: number;
}

export function entryCost(key: string, value: Buffer): number {
  return key.length * 2 + value.length + ENTRY_OVERHEAD_BYTES;
}

export class ByteLru {
  private readonly slots = new Map<string, Slot>();
  private used = 0;

  constructor(private maxBytes: number) {}

  /** Bytes held now (keys, values, overhead): never above the bound. */
  get bytes(): number { return this.used; }
  get size(): number { return this.slots.size; }

  /** A new bound (a reload changed gateway.cache.internalMaxBytes): evicts down to it at once. */
  resize(maxBytes: number): void {
    this.maxBytes = maxBytes;
    this.evictTo(maxBytes);
  }

  get(key: string, now: number): Buffer | null {
    const slot = this.slots.get(key);
    if (slot === undefined) return null;
    if (slot.expiresAt <= now) { this.remove(key, slot); return null; }
    this.slots.delete(key);
    this.slots.set(key, slot);
    return slot.value;
  }

  /** Stores (replacing any older value); an entry larger than the whole bound is not kept. */
  set(key: string, value: Buffer, ttlMs: number, now: number): boolean {
    const old = this.slots.get(key);
    if (old !== undefined) this.remove(key, old);
    const bytes = entryCost(key, value);
    if (bytes > this.maxBytes) return false;
    this.evictTo(this.maxBytes - bytes);
    this.slots.set(key, { value: ownMemory(value), expiresAt: now + ttlMs, bytes });
    this.used += bytes;
    return true;
  }

  delete(key: string): boolean {
    const slot = this.slots.get(key);
    if (slot === undefined) return false;
    this.remove(key, slot);
    return true;
  }

  private remove(key: string, slot: Slot): void {
    this.slots.delete(key);
    this.used -= slot.bytes;
  }

  /** Drops least recently used entries until at most `limit` bytes are held. */
  private evictTo(limit: number): void {
    if (this.used <= limit) return;
    for (const [key, slot] of this.slots) {
      this.remove(key, slot);
      if (this.used <= limit) return;
    }
  }
}

/**
 * The value in memory of its own size. msgpackr and Node's pool hand out views into larger shared
 * buffers; keeping such a view would keep the whole buffer alive and the byte bound would lie.
 */
function ownMemory(value: Buffer): Buffer {
  if (value.byteOffset === 0 && value.byteLength === value.buffer.byteLength) return value;
  const own = Buffer.allocUnsafeSlow(value.length);
  value.copy(own);
  return own;
}
