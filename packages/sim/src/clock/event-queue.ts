/**
 * The simulator's one global clock and its agenda of scheduled work.
 *
 * Events are ordered by (timeMs, seq), where `seq` is a counter taken at scheduling time. Two events due at
 * the same virtual millisecond therefore run in the order they were scheduled, which keeps a run a pure
 * function of its seed (ARCHITECTURE.md rule 2).
 *
 * The hot path allocates nothing: the heap is three parallel typed arrays (time, seq, slot), and an event's
 * action and numeric argument live in a recycled slot. A caller that passes a long-lived action and an
 * integer argument (the network passes its delivery method and a message slot) schedules without creating
 * a closure per event.
 */

/** Work to run when an event comes due; it receives the argument given when it was scheduled. */
export type EventAction = (arg: number) => void

/**
 * Identifies a scheduled event for `cancel`. It encodes the event's slot and the slot's generation, so a
 * handle to an event that already ran or was cancelled is recognised as stale and ignored.
 */
export type EventHandle = number

/** Slots in flight at once; 2^24 events is far beyond any run's agenda and keeps handles below 2^53. */
const SLOT_SPAN = 0x1000000
/** Generations wrap here, so `gen * SLOT_SPAN + slot` stays an exact integer. */
const GEN_SPAN = 0x10000000
/** The agenda starts this large and doubles when full. */
const INITIAL_CAPACITY = 1024
/** Cancelled entries are swept out of the heap once there are this many and they make up half of it. */
const COMPACT_MIN_CANCELLED = 4096

export class EventQueue {
  private now = 0
  private processed = 0
  private nextSeq = 0

  private heapTime = new Float64Array(INITIAL_CAPACITY)
  private heapSeq = new Float64Array(INITIAL_CAPACITY)
  private heapSlot = new Int32Array(INITIAL_CAPACITY)
  private heapSize = 0
  /** Heap entries whose slot was cancelled and has not yet reached the top. */
  private cancelledInHeap = 0

  private readonly slotAction: Array<EventAction | undefined> = []
  private slotArg = new Float64Array(INITIAL_CAPACITY)
  private slotGen = new Uint32Array(INITIAL_CAPACITY)
  private freeSlots = new Int32Array(INITIAL_CAPACITY)
  private freeCount = 0
  private slotCount = 0

  /** The global virtual time, in milliseconds since the run began. */
  get nowMs (): number { return this.now }

  /** Events that have run (cancelled ones excluded). */
  get processedEvents (): number { return this.processed }

  /** Events scheduled and not yet run or cancelled. */
  get pendingEvents (): number { return this.heapSize - this.cancelledInHeap }

  /** The time of the earliest pending event, or `undefined` when the agenda is empty. */
  nextTimeMs (): number | undefined {
    this.dropCancelledTop()
    return this.heapSize > 0 ? this.heapTime[0] : undefined
  }

  /**
   * Runs `fn` at global time `timeMs`. A time in the past means "now": the clock never runs backwards, so
   * such an event runs after everything already due at the current time.
   */
  at (timeMs: number, fn: () => void): EventHandle {
    return this.schedule(timeMs, fn, 0)
  }

  /** Runs `fn` after `delayMs` of virtual time. */
  after (delayMs: number, fn: () => void): EventHandle {
    return this.schedule(this.now + delayMs, fn, 0)
  }

  /** The allocation-free form of `at`: runs `action(arg)` at `timeMs`. */
  schedule (timeMs: number, action: EventAction, arg: number): EventHandle {
    const t = timeMs > this.now ? timeMs : this.now
    const slot = this.allocSlot()
    this.slotAction[slot] = action
    this.slotArg[slot] = arg
    this.push(t, this.nextSeq++, slot)
    return this.slotGen[slot] * SLOT_SPAN + slot
  }

  /**
   * Cancels a pending event. Returns false if it already ran or was cancelled. The heap entry stays until it
   * reaches the top (lazy deletion), or until a sweep when cancelled entries pile up.
   */
  cancel (handle: EventHandle): boolean {
    const slot = handle % SLOT_SPAN
    const gen = (handle - slot) / SLOT_SPAN
    if (slot < 0 || slot >= this.slotCount || this.slotGen[slot] !== gen) return false
    if (this.slotAction[slot] === undefined) return false
    this.slotAction[slot] = undefined
    this.cancelledInHeap++
    if (this.cancelledInHeap >= COMPACT_MIN_CANCELLED && this.cancelledInHeap * 2 > this.heapSize) this.compact()
    return true
  }

  /** Runs the earliest pending event. Returns false when there was none. */
  step (): boolean {
    return this.runNext(Infinity)
  }

  /** Runs every event due at or before `timeMs`, then sets the clock to `timeMs`. */
  runUntil (timeMs: number): void {
    while (this.runNext(timeMs)) { /* each call runs one event */ }
    if (timeMs > this.now) this.now = timeMs
  }

  /** Runs the earliest pending event if it is due at or before `limitMs`; false if there was none. */
  private runNext (limitMs: number): boolean {
    while (this.heapSize > 0 && this.heapTime[0] <= limitMs) {
      const slot = this.heapSlot[0]
      const t = this.heapTime[0]
      this.popTop()
      const action = this.slotAction[slot]
      const arg = this.slotArg[slot]
      this.freeSlot(slot)
      if (action === undefined) {
        this.cancelledInHeap--
        continue
      }
      this.now = t
      this.processed++
      action(arg)
      return true
    }
    return false
  }

  /** Runs `ms` of virtual time from now. */
  runFor (ms: number): void {
    this.runUntil(this.now + ms)
  }

  private allocSlot (): number {
    if (this.freeCount > 0) return this.freeSlots[--this.freeCount]
    const slot = this.slotCount++
    if (slot >= SLOT_SPAN) throw new RangeError(`more than ${SLOT_SPAN} events pending`)
    if (slot >= this.slotArg.length) {
      this.slotArg = grow(this.slotArg, new Float64Array(this.slotArg.length * 2))
      this.slotGen = grow(this.slotGen, new Uint32Array(this.slotGen.length * 2))
      this.freeSlots = grow(this.freeSlots, new Int32Array(this.freeSlots.length * 2))
    }
    this.slotAction.push(undefined)
    return slot
  }

  private freeSlot (slot: number): void {
    this.slotAction[slot] = undefined
    this.slotGen[slot] = (this.slotGen[slot] + 1) % GEN_SPAN
    this.freeSlots[this.freeCount++] = slot
  }

  private dropCancelledTop (): void {
    while (this.heapSize > 0 && this.slotAction[this.heapSlot[0]] === undefined) {
      const slot = this.heapSlot[0]
      this.popTop()
      this.freeSlot(slot)
      this.cancelledInHeap--
    }
  }

  /** Sift-up with a hole: one write per level instead of a three-array swap. */
  private push (t: number, seq: number, slot: number): void {
    if (this.heapSize === this.heapTime.length) {
      const n = this.heapTime.length * 2
      this.heapTime = grow(this.heapTime, new Float64Array(n))
      this.heapSeq = grow(this.heapSeq, new Float64Array(n))
      this.heapSlot = grow(this.heapSlot, new Int32Array(n))
    }
    const ht = this.heapTime
    const hs = this.heapSeq
    const hl = this.heapSlot
    let i = this.heapSize++
    while (i > 0) {
      const p = (i - 1) >> 1
      const pt = ht[p]
      if (pt < t || (pt === t && hs[p] < seq)) break
      ht[i] = pt; hs[i] = hs[p]; hl[i] = hl[p]
      i = p
    }
    ht[i] = t; hs[i] = seq; hl[i] = slot
  }

  private popTop (): void {
    const n = --this.heapSize
    if (n === 0) return
    this.siftDown(0, this.heapTime[n], this.heapSeq[n], this.heapSlot[n], n)
  }

  /** Places (t, seq, slot) at or below index `i` of a heap of `n` entries. */
  private siftDown (i: number, t: number, seq: number, slot: number, n: number): void {
    const ht = this.heapTime
    const hs = this.heapSeq
    const hl = this.heapSlot
    for (;;) {
      let c = 2 * i + 1
      if (c >= n) break
      const r = c + 1
      if (r < n && (ht[r] < ht[c] || (ht[r] === ht[c] && hs[r] < hs[c]))) c = r
      const ct = ht[c]
      if (t < ct || (t === ct && seq < hs[c])) break
      ht[i] = ct; hs[i] = hs[c]; hl[i] = hl[c]
      i = c
    }
    ht[i] = t; hs[i] = seq; hl[i] = slot
  }

  /** Drops every cancelled entry and re-heapifies (Floyd's method, O(n)). */
  private compact (): void {
    const ht = this.heapTime
    const hs = this.heapSeq
    const hl = this.heapSlot
    let n = 0
    for (let i = 0; i < this.heapSize; i++) {
      const slot = hl[i]
      if (this.slotAction[slot] === undefined) {
        this.freeSlot(slot)
        continue
      }
      ht[n] = ht[i]; hs[n] = hs[i]; hl[n] = slot
      n++
    }
    this.heapSize = n
    this.cancelledInHeap = 0
    for (let i = (n >> 1) - 1; i >= 0; i--) this.siftDown(i, ht[i], hs[i], hl[i], n)
  }
}

function grow<T extends Float64Array | Uint32Array | Int32Array> (from: T, to: T): T {
  to.set(from)
  return to
}
