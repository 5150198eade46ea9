import { emptyTransportStats, type NodeId, type Transport, type TransportHandler, type TransportLimits, type TransportStats } from '@dreammesh/protocols'

/**
 * Several protocols over one simulated node's transport, as the real node runs membership, leases and
 * instance reports as separate libp2p protocols over one connection per peer. Each message gets a one-byte
 * channel tag; a partition, a crash or a pause therefore hits every protocol of a node at once, as it does a
 * real host.
 */

/** The channels of one placement-soak node. */
export const MuxChannel = { membership: 0, lease: 1, board: 2 } as const
export type MuxChannel = typeof MuxChannel[keyof typeof MuxChannel]

/** Bytes the tag adds to every message: the network's packet limit must allow for it. */
export const MUX_HEADER_BYTES = 1

const IGNORE: TransportHandler = { onPacket: () => {}, onFrame: () => {}, onClosed: () => {} }

export class TransportMux {
  /** Messages with an unknown tag (none are sent; counted to be sure). */
  unknownTag = 0
  private readonly handlers: TransportHandler[] = []
  private readonly stats: TransportStats[] = []

  constructor (private readonly inner: Transport) {
    inner.listen({
      onPacket: (from, bytes) => { this.route(from, bytes)?.onPacket(from, bytes.subarray(MUX_HEADER_BYTES)) },
      onFrame: (from, bytes) => { this.route(from, bytes)?.onFrame(from, bytes.subarray(MUX_HEADER_BYTES)) },
      // A closed connection closes it for every protocol on it.
      onClosed: (peer) => { for (const h of this.handlers) h?.onClosed(peer) }
    })
  }

  /** The transport of one channel. */
  channel (tag: MuxChannel): Transport {
    const inner = this.inner
    const handlers = this.handlers
    handlers[tag] = IGNORE
    const limits: TransportLimits = {
      maxPacketBytes: inner.limits.maxPacketBytes - MUX_HEADER_BYTES,
      maxFrameBytes: inner.limits.maxFrameBytes - MUX_HEADER_BYTES,
      dialTimeoutMs: inner.limits.dialTimeoutMs
    }
    const stats: TransportStats = this.stats[tag] = emptyTransportStats()
    const tagged = (bytes: Uint8Array): Uint8Array => {
      const out = new Uint8Array(bytes.byteLength + MUX_HEADER_BYTES)
      out[0] = tag
      out.set(bytes, MUX_HEADER_BYTES)
      return out
    }
    return {
      localId: inner.localId,
      limits,
      stats,
      sendPacket (to: NodeId, bytes: Uint8Array): void {
        if (bytes.byteLength > limits.maxPacketBytes) { stats.oversizedDropped++; return }
        stats.packetsSent++
        stats.bytesSent += bytes.byteLength
        inner.sendPacket(to, tagged(bytes))
      },
      sendFrame (to: NodeId, bytes: Uint8Array): void {
        if (bytes.byteLength > limits.maxFrameBytes) { stats.oversizedDropped++; return }
        stats.framesSent++
        stats.bytesSent += bytes.byteLength
        inner.sendFrame(to, tagged(bytes))
      },
      listen (handler: TransportHandler): void { handlers[tag] = handler },
      async close (): Promise<void> { handlers[tag] = IGNORE }
    }
  }

  private route (_from: NodeId, bytes: Uint8Array): TransportHandler | undefined {
    const tag = bytes.byteLength >= MUX_HEADER_BYTES ? bytes[0] : -1
    const h = this.handlers[tag]
    if (h === undefined) { this.unknownTag++; return undefined }
    const stats = this.stats[tag]
    stats.bytesReceived += bytes.byteLength - MUX_HEADER_BYTES
    stats.packetsReceived++
    return h
  }
}
