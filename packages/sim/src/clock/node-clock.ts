import type { EventQueue } from './event-queue.js'

/** How one node's local clock relates to the simulator's global clock. */
export interface NodeClockOptions {
  /**
   * What the local clock reads at `startMs`, in milliseconds. Nodes disagree on absolute time, as
   * `performance.now()` does across processes, so protocols may only compare their own readings.
   * @default 0
   */
  offsetMs?: number
  /**
   * Local milliseconds per global millisecond: 1.001 runs fast by 1000 ppm, 0.999 slow by 1000 ppm. Quartz
   * oscillators drift by tens of ppm; values up to a few thousand ppm stress timeouts computed from local time.
   * @default 1
   */
  rate?: number
  /** The global time at which the local clock reads `offsetMs`, in milliseconds. @default the queue's now */
  startMs?: number
}

/**
 * A node's local clock: `local = offsetMs + rate * (global - startMs)`. It is a pure function of global
 * time, so it costs nothing to keep a thousand of them.
 */
export class NodeClock {
  /** Local reading at `startMs`, in milliseconds. */
  readonly offsetMs: number
  /** Local milliseconds per global millisecond. */
  readonly rate: number
  /** Global time at which the local clock reads `offsetMs`, in milliseconds. */
  readonly startMs: number

  constructor (private readonly queue: EventQueue, options: NodeClockOptions = {}) {
    this.offsetMs = options.offsetMs ?? 0
    this.rate = options.rate ?? 1
    this.startMs = options.startMs ?? queue.nowMs
    if (!(this.rate > 0) || !Number.isFinite(this.rate)) throw new RangeError(`clock rate must be a positive number, got ${this.rate}`)
    if (!Number.isFinite(this.offsetMs) || !Number.isFinite(this.startMs)) throw new RangeError('clock offsetMs and startMs must be finite')
  }

  /** The local time now, in milliseconds. */
  nowMs (): number {
    return this.toLocalMs(this.queue.nowMs)
  }

  /** The local reading at global time `globalMs`. */
  toLocalMs (globalMs: number): number {
    return this.offsetMs + this.rate * (globalMs - this.startMs)
  }

  /**
   * The global time at which the local clock first reads `localMs` or later (to within a few ulps). The
   * rounding of a plain division could land a timer one ulp early, and a machine woken "before" its deadline
   * re-arms the same deadline and spins forever without virtual time advancing.
   */
  toGlobalMs (localMs: number): number {
    let globalMs = this.startMs + (localMs - this.offsetMs) / this.rate
    while (this.toLocalMs(globalMs) < localMs) {
      globalMs += Math.max(Math.abs(globalMs) * Number.EPSILON, Number.MIN_VALUE)
    }
    return globalMs
  }
}
