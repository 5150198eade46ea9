import type { NodeId, Transport, TransportHandler } from '@dreammesh/protocols'

/**
 * The transport seam with one addition: when each peer was last heard from (any packet or frame), for
 * `status`'s "last heard" column. A decorator, so membership and the transport stay as they are.
 */
export class HeardTracker implements Transport {
  private readonly lastHeard = new Map<NodeId, number>()

  constructor (private readonly inner: Transport, private readonly nowMs: () => number) {}

  get localId (): NodeId { return this.inner.localId }
  get limits (): Transport['limits'] { return this.inner.limits }
  get stats (): Transport['stats'] { return this.inner.stats }

  sendPacket (to: NodeId, bytes: Uint8Array): void { this.inner.sendPacket(to, bytes) }
  sendFrame (to: NodeId, bytes: Uint8Array): void { this.inner.sendFrame(to, bytes) }

  listen (handler: TransportHandler): void {
    this.inner.listen({
      onPacket: (from, bytes) => { this.lastHeard.set(from, this.nowMs()); handler.onPacket(from, bytes) },
      onFrame: (from, bytes) => { this.lastHeard.set(from, this.nowMs()); handler.onFrame(from, bytes) },
      onClosed: peer => { handler.onClosed(peer) }
    })
  }

  async close (): Promise<void> { await this.inner.close() }

  /** How long ago `peer` was last heard from, in ms, or null if never. */
  sinceHeardMs (peer: NodeId): number | null {
    const at = this.lastHeard.get(peer)
    return at === undefined ? null : Math.max(0, this.nowMs() - at)
  }

  /** Forgets a peer membership has reaped, so the map stays bounded by the member table. */
  forget (peer: NodeId): void {
    this.lastHeard.delete(peer)
  }
}
