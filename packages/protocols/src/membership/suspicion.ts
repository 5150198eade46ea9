import type { NodeId } from '../core/ids.js'
import { remainingSuspicionTimeMs } from './math.js'

/**
 * One suspicion of one member (Lifeguard section 3.3, memberlist's suspicion.go). It starts at the maximum
 * timeout and shrinks toward the minimum as distinct members independently confirm it.
 */
export class Suspicion {
  private readonly confirmers = new Set<NodeId>()

  constructor (
    readonly incarnation: number,
    private readonly accuser: NodeId,
    private readonly k: number,
    readonly startMs: number,
    private readonly minMs: number,
    private readonly maxMs: number
  ) {}

  get confirmations (): number { return this.confirmers.size }

  /** Counts `from` once; returns true if it was a new, independent confirmation. */
  confirm (from: NodeId): boolean {
    if (this.confirmers.size >= this.k || from === this.accuser || this.confirmers.has(from)) return false
    this.confirmers.add(from)
    return true
  }

  /** The local time at which the member is declared dead. */
  deadlineMs (): number {
    return this.startMs + remainingSuspicionTimeMs(this.confirmers.size, this.k, 0, this.minMs, this.maxMs)
  }
}
