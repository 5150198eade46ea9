/** The message is a frame (delivered through `onFrame`); otherwise a packet. */
export const FLAG_FRAME = 1
/** The message rides a connection: it is dropped if either end's transport closed while it was in flight. */
export const FLAG_RELIABLE = 2
/** The message has been through the receiver's slow-processing stage; it passes that stage only once. */
export const FLAG_SLOW_CHECKED = 4

/** The slab starts this large and doubles when full. */
const INITIAL_CAPACITY = 1024

/**
 * Messages in flight, one recycled slot each, in parallel arrays. The event queue carries only the slot
 * number, so a delivery costs no closure and no per-message object beyond the payload itself.
 */
export class MessageSlab {
  from = new Int32Array(INITIAL_CAPACITY)
  to = new Int32Array(INITIAL_CAPACITY)
  /** The sender's transport epoch when sent (reliable messages only). */
  fromEpoch = new Int32Array(INITIAL_CAPACITY)
  /** The receiver's transport epoch when sent (reliable messages only). */
  toEpoch = new Int32Array(INITIAL_CAPACITY)
  flags = new Uint8Array(INITIAL_CAPACITY)
  readonly bytes: Array<Uint8Array | undefined> = []
  private free = new Int32Array(INITIAL_CAPACITY)
  private freeCount = 0
  private used = 0

  /** Slots holding a message. */
  get inFlight (): number { return this.used - this.freeCount }

  /** Stores a message and returns its slot. */
  alloc (from: number, to: number, fromEpoch: number, toEpoch: number, flags: number, bytes: Uint8Array): number {
    let slot: number
    if (this.freeCount > 0) {
      slot = this.free[--this.freeCount]
    } else {
      slot = this.used++
      if (slot === this.from.length) this.grow()
      this.bytes.push(undefined)
    }
    this.from[slot] = from
    this.to[slot] = to
    this.fromEpoch[slot] = fromEpoch
    this.toEpoch[slot] = toEpoch
    this.flags[slot] = flags
    this.bytes[slot] = bytes
    return slot
  }

  /** Returns a slot to the pool, dropping its payload reference. */
  release (slot: number): void {
    this.bytes[slot] = undefined
    this.free[this.freeCount++] = slot
  }

  private grow (): void {
    const n = this.from.length * 2
    this.from = copyInto(new Int32Array(n), this.from)
    this.to = copyInto(new Int32Array(n), this.to)
    this.fromEpoch = copyInto(new Int32Array(n), this.fromEpoch)
    this.toEpoch = copyInto(new Int32Array(n), this.toEpoch)
    this.flags = copyInto(new Uint8Array(n), this.flags)
    this.free = copyInto(new Int32Array(n), this.free)
  }
}

function copyInto<T extends Int32Array | Uint8Array> (to: T, from: T): T {
  to.set(from)
  return to
}
