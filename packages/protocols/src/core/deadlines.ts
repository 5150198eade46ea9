/**
 * Named deadlines inside a state machine. The machine reports only `next()` to its host as `wakeAtMs`.
 *
 * A binary min-heap with lazy deletion: `set` on an existing name bumps its generation and pushes a new
 * entry, and stale entries are skipped when they reach the top. That keeps `set` at O(log n) even when
 * hundreds of suspicion timers are rearmed at once after a partition heals.
 */
interface Entry<K> { atMs: number, key: K, gen: number }

/** Stale heap entries tolerated beyond twice the live ones before the heap is rebuilt. */
const COMPACT_SLACK = 1024

export class Deadlines<K> {
  private readonly heap: Array<Entry<K>> = []
  private readonly live = new Map<K, Entry<K>>()
  private gen = 0

  get size (): number { return this.live.size }

  has (key: K): boolean { return this.live.has(key) }

  at (key: K): number | undefined { return this.live.get(key)?.atMs }

  set (key: K, atMs: number): void {
    const entry = { atMs, key, gen: ++this.gen }
    this.live.set(key, entry)
    this.push(entry)
    // Stale entries wait in the heap until their time; when rearming outpaces that (a flood of news that
    // keeps resetting far-off deadlines), rebuild from the live entries so the heap stays O(live).
    if (this.heap.length > 2 * this.live.size + COMPACT_SLACK) this.compact()
  }

  delete (key: K): void {
    this.live.delete(key)
  }

  /** The earliest live deadline, if any. */
  next (): number | undefined {
    this.dropStale()
    return this.heap.length > 0 ? this.heap[0].atMs : undefined
  }

  /** Removes and returns the keys due at `nowMs`, earliest first. */
  popDue (nowMs: number): K[] {
    const due: K[] = []
    for (;;) {
      this.dropStale()
      const top = this.heap[0]
      if (top === undefined || top.atMs > nowMs) return due
      this.pop()
      this.live.delete(top.key)
      due.push(top.key)
    }
  }

  private dropStale (): void {
    for (;;) {
      const top = this.heap[0]
      if (top === undefined || this.live.get(top.key) === top) return
      this.pop()
    }
  }

  private compact (): void {
    this.heap.length = 0
    for (const e of this.live.values()) this.push(e)
  }

  private push (e: Entry<K>): void {
    const h = this.heap
    h.push(e)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!less(h[i], h[p])) break
      const t = h[i]; h[i] = h[p]; h[p] = t
      i = p
    }
  }

  private pop (): void {
    const h = this.heap
    const last = h.pop()
    if (last === undefined || h.length === 0) return
    h[0] = last
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < h.length && less(h[l], h[m])) m = l
      if (r < h.length && less(h[r], h[m])) m = r
      if (m === i) return
      const t = h[i]; h[i] = h[m]; h[m] = t
      i = m
    }
  }
}

function less<K> (a: Entry<K>, b: Entry<K>): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.gen < b.gen)
}
