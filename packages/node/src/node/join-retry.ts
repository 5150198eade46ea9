import type { NodeId } from '@dreammesh/protocols'

/** The longest wait between two joins through the same discovered peer, in ms. */
export const MAX_JOIN_RETRY_MS = 30_000
/** Discovered peers remembered for retries; past it the oldest is forgotten (mDNS reports it again later). */
export const MAX_PENDING_JOINS = 1_024

/**
 * Peers that mDNS found but that are not (yet) members. A join through a peer can fail (the peer was still
 * starting, or too busy to answer the handshake in time), and mDNS reports each peer once (QuietDiscovery),
 * so without a retry two groups that started at once could stay apart: each complete, neither knowing the
 * other. Each pending peer is tried again at doubling intervals up to MAX_JOIN_RETRY_MS, until it is a member.
 */
export class JoinRetry {
  private readonly pending = new Map<NodeId, { attempts: number, nextAtMs: number }>()

  constructor (private readonly join: (id: NodeId) => void, private readonly nowMs: () => number) {}

  /** A peer was discovered and a join through it started now. */
  discovered (id: NodeId): void {
    this.pending.delete(id)
    this.pending.set(id, { attempts: 1, nextAtMs: this.nowMs() + this.delayMs(1) })
    if (this.pending.size > MAX_PENDING_JOINS) {
      const oldest = this.pending.keys().next()
      if (oldest.done !== true) this.pending.delete(oldest.value)
    }
  }

  /** One pass: forgets peers that became members, and joins again through the others that are due. */
  tick (isMember: (id: NodeId) => boolean): void {
    const now = this.nowMs()
    for (const [id, p] of this.pending) {
      if (isMember(id)) { this.pending.delete(id); continue }
      if (now < p.nextAtMs) continue
      p.attempts++
      p.nextAtMs = now + this.delayMs(p.attempts)
      this.join(id)
    }
  }

  get size (): number {
    return this.pending.size
  }

  private delayMs (attempts: number): number {
    return Math.min(MAX_JOIN_RETRY_MS, 1_000 * 2 ** attempts)
  }
}
