/**
 * Connection state of every ordered (sender, receiver) pair, in one open-addressing hash table of doubles.
 *
 * A thousand nodes talking to random peers touch close to a million pairs, and a `Map` of objects per node
 * made each reliable send several cache misses plus garbage collector work. Here a pair's key and both of
 * its times share one cache line, and nothing is allocated per send.
 *
 * A pair matters only while a message on it is in flight (head-of-line blocking) or while its last send is
 * recent enough for a crash to notify it. Anything older is swept out when the table fills, so memory is
 * bounded by recent traffic rather than by nodes squared.
 */

/** Doubles per entry: key, lastArrivalMs, lastSentMs, padding (32 bytes, half a cache line). */
const STRIDE = 4
const KEY = 0
const ARRIVAL = 1
const SENT = 2
/** Node indexes must stay below this for keys to be exact. */
const MAX_NODES = 0x200000
/** The table starts with this many entries and always has a power of two. */
const INITIAL_ENTRIES = 1024
/** The table is rebuilt once this fraction of it is in use; linear probing slows down past it. */
const MAX_LOAD = 0.5

export class StreamLinks {
  private data = new Float64Array(INITIAL_ENTRIES * STRIDE)
  private mask = INITIAL_ENTRIES - 1
  private used = 0

  /**
   * @param recentMs how long after its last send a pair is kept for crash notices, in milliseconds
   */
  constructor (private readonly recentMs: number) {}

  /** Pairs currently stored. */
  get size (): number { return this.used }

  /**
   * The entry offset of pair (from, to), created if missing. `nowMs` lets a full table drop idle pairs. The
   * offset is valid until the next call, which may rebuild the table.
   */
  entry (from: number, to: number, nowMs: number): number {
    if (from >= MAX_NODES || to >= MAX_NODES) throw new RangeError(`node index over ${MAX_NODES}`)
    const key = from * MAX_NODES + to + 1
    let i = this.find(from, to, key)
    if (this.data[i + KEY] === key) return i
    if (this.used + 1 > (this.mask + 1) * MAX_LOAD) {
      this.rebuild(nowMs)
      i = this.find(from, to, key)
    }
    this.data[i + KEY] = key
    this.data[i + ARRIVAL] = -Infinity
    this.data[i + SENT] = -Infinity
    this.used++
    return i
  }

  /** When the last message on the entry's pair arrives, in global ms. */
  arrivalMs (entry: number): number { return this.data[entry + ARRIVAL] }

  /** Records when the last message on the entry's pair arrives. */
  setArrivalMs (entry: number, atMs: number): void { this.data[entry + ARRIVAL] = atMs }

  /** Records a send on the entry's pair. */
  setSentMs (entry: number, atMs: number): void { this.data[entry + SENT] = atMs }

  /**
   * Every peer that sent to `node`, or that `node` sent to, at or after `sinceMs`, in a deterministic order
   * (sorted by index). A full scan: it runs once per crash.
   */
  recentPeers (node: number, sinceMs: number): number[] {
    const peers = new Set<number>()
    const d = this.data
    for (let i = 0; i < d.length; i += STRIDE) {
      const key = d[i + KEY]
      if (key === 0 || d[i + SENT] < sinceMs) continue
      const to = (key - 1) % MAX_NODES
      const from = (key - 1 - to) / MAX_NODES
      if (from === node && to !== node) peers.add(to)
      else if (to === node && from !== node) peers.add(from)
    }
    return [...peers].sort((a, b) => a - b)
  }

  /** Linear probing from the pair's hash: the entry holding `key`, or the empty entry where it would go. */
  private find (from: number, to: number, key: number): number {
    const d = this.data
    let slot = hashPair(from, to) & this.mask
    for (;;) {
      const i = slot * STRIDE
      const k = d[i + KEY]
      if (k === key || k === 0) return i
      slot = (slot + 1) & this.mask
    }
  }

  /** Drops idle pairs and resizes so the live ones fill at most a quarter of the table. */
  private rebuild (nowMs: number): void {
    const old = this.data
    const idleBeforeMs = nowMs - this.recentMs
    let live = 0
    for (let i = 0; i < old.length; i += STRIDE) {
      if (old[i + KEY] !== 0 && isLive(old, i, nowMs, idleBeforeMs)) live++
    }
    let entries = INITIAL_ENTRIES
    while (entries * MAX_LOAD / 2 < live + 1) entries *= 2
    this.data = new Float64Array(entries * STRIDE)
    this.mask = entries - 1
    this.used = 0
    for (let i = 0; i < old.length; i += STRIDE) {
      const key = old[i + KEY]
      if (key === 0 || !isLive(old, i, nowMs, idleBeforeMs)) continue
      const to = (key - 1) % MAX_NODES
      const from = (key - 1 - to) / MAX_NODES
      const j = this.find(from, to, key)
      this.data[j + KEY] = key
      this.data[j + ARRIVAL] = old[i + ARRIVAL]
      this.data[j + SENT] = old[i + SENT]
      this.used++
    }
  }
}

/** A pair is live while a message on it is still in flight or its last send is recent. */
function isLive (d: Float64Array, i: number, nowMs: number, idleBeforeMs: number): boolean {
  return d[i + ARRIVAL] >= nowMs || d[i + SENT] >= idleBeforeMs
}

/** murmur3's fmix32 over both indexes, so neighbouring pairs land far apart. */
function hashPair (from: number, to: number): number {
  let h = Math.imul(from, 0x9e3779b1) ^ to
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}
