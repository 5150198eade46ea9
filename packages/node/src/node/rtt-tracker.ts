import type { NodeId } from '@dreammesh/protocols'

/** The weight of a new sample in the smoothed RTT: TCP's 1/8 (RFC 6298), so one slow ack does not dominate. */
const GAIN = 1 / 8

/**
 * Each member's round-trip time, smoothed, from membership's own direct probes (the `rtt` event): a PING and
 * its ACK through pnet, noise and yamux, which is the path everything else takes too. It replaces libp2p's
 * connection monitor, whose pings open a new stream on every connection at once: at N=20 on a 2-core host
 * that was a 2 s burst of both cores every 30 s, long enough to time out probes (ADR 0008).
 */
export class RttTracker {
  private readonly smoothed = new Map<NodeId, number>()

  sample (id: NodeId, ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return
    const previous = this.smoothed.get(id)
    this.smoothed.set(id, previous === undefined ? ms : previous + GAIN * (ms - previous))
  }

  /** The smoothed RTT to `id` in ms, or null before its first answered probe. */
  rttMs (id: NodeId): number | null {
    return this.smoothed.get(id) ?? null
  }

  /** Forgets a member (reaped, or back with a new incarnation, whose path may differ). */
  forget (id: NodeId): void {
    this.smoothed.delete(id)
  }
}
