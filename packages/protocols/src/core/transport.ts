import type { NodeId } from './ids.js'

/**
 * The seam between protocols and the network (ARCHITECTURE.md rule 3, after hashicorp/memberlist's
 * Transport). Best-effort packets and reliable streams are separate on purpose: SWIM's probes must not wait
 * behind a retransmission, and anti-entropy must not lose a chunk.
 *
 * The libp2p host implements it in @dreammesh/node, the simulated network in @dreammesh/sim, and both pass
 * the compliance suite in `@dreammesh/sim/compliance`.
 *
 * Contract:
 * - `sendPacket` is best effort: the packet arrives whole, or not at all; it may arrive twice or out of order.
 * - `sendFrame` is reliable and ordered per (sender, receiver): frames arrive once each, in order, whole,
 *   unless the connection closes, and then the sender is told through `onClosed`.
 * - Neither send ever throws. A payload over the bound is not sent; the transport counts it in
 *   `stats.oversizedDropped`.
 * - A frame to a peer that cannot be reached within `dialTimeoutMs` is dropped, counted in
 *   `stats.unreachableDropped`, and reported through `onClosed(peer)`.
 * - `onClosed(peer)` is a hint that a connection dropped, not a verdict that the peer is dead.
 */
export interface Transport {
  readonly localId: NodeId
  readonly limits: TransportLimits
  readonly stats: TransportStats
  sendPacket (to: NodeId, bytes: Uint8Array): void
  sendFrame (to: NodeId, bytes: Uint8Array): void
  /** Installs the receiver. There is one; a second call replaces it. */
  listen (handler: TransportHandler): void
  /** Stops sending and receiving; pending frames are dropped. Idempotent. */
  close (): Promise<void>
}

export interface TransportHandler {
  onPacket (from: NodeId, bytes: Uint8Array): void
  onFrame (from: NodeId, bytes: Uint8Array): void
  onClosed (peer: NodeId): void
}

export interface TransportLimits {
  /** The largest packet payload, in bytes. */
  maxPacketBytes: number
  /** The largest stream frame payload, in bytes. */
  maxFrameBytes: number
  /** How long a frame may wait for a connection before it is dropped and the peer reported closed. */
  dialTimeoutMs: number
}

export interface TransportStats {
  packetsSent: number
  packetsReceived: number
  framesSent: number
  framesReceived: number
  bytesSent: number
  bytesReceived: number
  oversizedDropped: number
  unreachableDropped: number
}

export function emptyTransportStats (): TransportStats {
  return {
    packetsSent: 0,
    packetsReceived: 0,
    framesSent: 0,
    framesReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    oversizedDropped: 0,
    unreachableDropped: 0
  }
}
