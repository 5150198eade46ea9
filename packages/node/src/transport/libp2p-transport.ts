import { peerIdFromString } from '@libp2p/peer-id'
import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'
import type { NodeId, Transport, TransportHandler, TransportLimits } from '@dreammesh/protocols'
import {
  DIAL_TIMEOUT_MS, FRAME_PROTOCOL, MAX_FRAME_BYTES, MAX_INBOUND_STREAMS, MAX_OUTBOUND_STREAMS, MAX_PACKET_BYTES,
  MAX_QUEUED_FRAME_BYTES, MAX_QUEUED_FRAMES, MAX_QUEUED_PACKET_BYTES, MAX_QUEUED_PACKETS, PACKET_PROTOCOL
} from './constants.js'
import { encodeLengthPrefixed, LengthPrefixedDecoder } from './length-prefix.js'
import { OutboundChannel } from './outbound-channel.js'
import { emptyLibp2pTransportStats, type Libp2pTransportStats } from './stats.js'

/** The parts of a libp2p 3 node the transport uses; a full `Libp2p` fits. */
export type Libp2pTransportNode = Pick<Libp2p, 'peerId' | 'handle' | 'unhandle' | 'dialProtocol' | 'getConnections' | 'addEventListener' | 'removeEventListener'>

export interface Libp2pTransportInit {
  /**
   * The protocol ids of the two channels: each protocol machine (membership, leases, ...) gets a transport
   * of its own, so their messages never share a stream or a handler.
   * @default membership's, PACKET_PROTOCOL and FRAME_PROTOCOL
   */
  protocols?: { packet: string, frame: string }
  /** @default MAX_PACKET_BYTES (1,400) */
  maxPacketBytes?: number
  /** @default MAX_FRAME_BYTES (64 KiB) */
  maxFrameBytes?: number
  /** @default DIAL_TIMEOUT_MS (5,000) */
  dialTimeoutMs?: number
  /** @default MAX_QUEUED_PACKETS (256) */
  maxQueuedPackets?: number
  /** @default MAX_QUEUED_PACKET_BYTES (512 KiB) */
  maxQueuedPacketBytes?: number
  /** @default MAX_QUEUED_FRAMES (1,024) */
  maxQueuedFrames?: number
  /** @default MAX_QUEUED_FRAME_BYTES (8 MiB) */
  maxQueuedFrameBytes?: number
}

type ChannelClass = 'packet' | 'frame'

const IGNORE_ALL: TransportHandler = { onPacket: () => {}, onFrame: () => {}, onClosed: () => {} }

/**
 * The core `Transport` seam over libp2p 3 streams (ARCHITECTURE.md rule 3), proven by the same compliance
 * suite as the simulator's transport.
 *
 * - Packets and frames use separate protocols and so separate streams: a large frame never delays a probe
 *   (rule 7). Each side keeps one long-lived outbound stream per peer and class, and reads whatever inbound
 *   streams its peers open.
 * - `sendPacket` never dials. With no open connection to the peer the packet is dropped and counted, so a
 *   probe to an unreachable peer costs nothing and SWIM's timeouts decide. It may open a stream on an
 *   existing connection.
 * - `sendFrame` may dial, bounded by `dialTimeoutMs`; on failure its queued frames are dropped, counted in
 *   `unreachableDropped`, and the peer is reported through `onClosed`.
 * - A peer's last connection closing, or a frame stream breaking, is reported through `onClosed`: a hint
 *   that may repeat, never a verdict.
 * - Messages are length-prefixed (see length-prefix.ts) and bounded on both ends. An incoming message over
 *   the bound is dropped and counted, and its stream reset; nothing a peer sends can make a handler throw.
 * - `stats` count payload bytes only, never the prefix.
 *
 * The transport does not own the node: `close()` releases the protocols and streams and leaves the node
 * running.
 */
export class Libp2pTransport implements Transport {
  readonly localId: NodeId
  readonly limits: TransportLimits
  readonly stats: Libp2pTransportStats = emptyLibp2pTransportStats()
  private handler: TransportHandler = IGNORE_ALL
  private closed = false
  private closing: Promise<void> | undefined
  private readonly closeController = new AbortController()
  private readonly channels: Record<ChannelClass, Map<NodeId, OutboundChannel>> = { packet: new Map(), frame: new Map() }
  private readonly inbound = new Set<Stream>()
  private readonly queueLimits: Record<ChannelClass, { messages: number, bytes: number }>
  private readonly protocols: { packet: string, frame: string }

  constructor (private readonly node: Libp2pTransportNode, init: Libp2pTransportInit = {}) {
    this.localId = node.peerId.toString()
    this.protocols = init.protocols ?? { packet: PACKET_PROTOCOL, frame: FRAME_PROTOCOL }
    this.limits = {
      maxPacketBytes: init.maxPacketBytes ?? MAX_PACKET_BYTES,
      maxFrameBytes: init.maxFrameBytes ?? MAX_FRAME_BYTES,
      dialTimeoutMs: init.dialTimeoutMs ?? DIAL_TIMEOUT_MS
    }
    this.queueLimits = {
      packet: { messages: init.maxQueuedPackets ?? MAX_QUEUED_PACKETS, bytes: init.maxQueuedPacketBytes ?? MAX_QUEUED_PACKET_BYTES },
      frame: { messages: init.maxQueuedFrames ?? MAX_QUEUED_FRAMES, bytes: init.maxQueuedFrameBytes ?? MAX_QUEUED_FRAME_BYTES }
    }
  }

  /** Registers the protocol handlers and starts watching connections. Call once, before sending. */
  async start (): Promise<void> {
    const options = { maxInboundStreams: MAX_INBOUND_STREAMS, maxOutboundStreams: MAX_OUTBOUND_STREAMS }
    await this.node.handle(this.protocols.packet, (stream, connection) => { this.accept('packet', stream, connection) }, options)
    await this.node.handle(this.protocols.frame, (stream, connection) => { this.accept('frame', stream, connection) }, options)
    this.node.addEventListener('peer:disconnect', this.onPeerDisconnect)
  }

  sendPacket (to: NodeId, bytes: Uint8Array): void {
    if (this.closed) return
    if (bytes.byteLength > this.limits.maxPacketBytes) {
      this.stats.oversizedDropped++
      return
    }
    const channel = this.channels.packet.get(to)
    // Never dial for a probe: without a live connection the packet is lost, as on a real lossy network.
    if (channel?.isOpen !== true && this.connectionTo(to) === undefined) {
      this.stats.packetsNotConnectedDropped++
      return
    }
    this.stats.packetsSent++
    this.stats.bytesSent += bytes.byteLength
    this.channel('packet', to).send(encodeLengthPrefixed(bytes))
  }

  sendFrame (to: NodeId, bytes: Uint8Array): void {
    if (this.closed) return
    if (bytes.byteLength > this.limits.maxFrameBytes) {
      this.stats.oversizedDropped++
      return
    }
    this.stats.framesSent++
    this.stats.bytesSent += bytes.byteLength
    this.channel('frame', to).send(encodeLengthPrefixed(bytes))
  }

  listen (handler: TransportHandler): void {
    if (!this.closed) this.handler = handler
  }

  async close (): Promise<void> {
    if (this.closing !== undefined) return await this.closing
    // Synchronously: nothing is delivered or sent from here on, even before the awaits below finish.
    this.closed = true
    this.handler = IGNORE_ALL
    this.closing = this.release()
    await this.closing
  }

  private async release (): Promise<void> {
    this.node.removeEventListener('peer:disconnect', this.onPeerDisconnect)
    this.closeController.abort()
    for (const map of Object.values(this.channels)) {
      for (const channel of map.values()) channel.close()
      map.clear()
    }
    for (const stream of this.inbound) stream.abort(new Error('transport closed'))
    this.inbound.clear()
    // A stopped node may refuse; there is nothing left to release then.
    await Promise.allSettled([this.node.unhandle(this.protocols.packet), this.node.unhandle(this.protocols.frame)])
  }

  private channel (kind: ChannelClass, to: NodeId): OutboundChannel {
    const map = this.channels[kind]
    const existing = map.get(to)
    if (existing !== undefined) return existing
    const forget = (): void => { if (map.get(to) === channel) map.delete(to) }
    const limits = this.queueLimits[kind]
    const channel: OutboundChannel = new OutboundChannel({
      open: kind === 'packet'
        ? async signal => await this.openPacketStream(to, signal)
        : async signal => await this.node.dialProtocol(peerIdFromString(to), this.protocols.frame, { signal }),
      openTimeoutMs: this.limits.dialTimeoutMs,
      closeSignal: this.closeController.signal,
      maxQueuedMessages: limits.messages,
      maxQueuedBytes: limits.bytes,
      // Packets are best effort and the newest matters most; frames must not have silent gaps.
      overflow: kind === 'packet' ? 'drop-oldest' : 'reset',
      onOpenFailed: dropped => {
        forget()
        if (kind === 'packet') {
          this.stats.packetsNotConnectedDropped += dropped
        } else {
          this.stats.unreachableDropped += dropped
          this.notifyClosed(to)
        }
      },
      onBroken: dropped => {
        forget()
        this.stats.queueDropped += dropped
        // Frames already handed to the stream may be lost: the sender must hear of it. Packets may be lost.
        if (kind === 'frame') this.notifyClosed(to)
      },
      onOverflowDropped: () => { this.stats.queueDropped++ }
    })
    map.set(to, channel)
    return channel
  }

  /** A packet stream is opened only on a connection that already exists. */
  private async openPacketStream (to: NodeId, signal: AbortSignal): Promise<Stream> {
    const connection = this.connectionTo(to)
    if (connection === undefined) throw new Error(`no open connection to ${to}`)
    return await connection.newStream(this.protocols.packet, { signal })
  }

  private connectionTo (to: NodeId): Connection | undefined {
    let peer: PeerId
    try {
      peer = peerIdFromString(to)
    } catch {
      return undefined
    }
    return this.node.getConnections(peer).find(c => c.status === 'open')
  }

  private accept (kind: ChannelClass, stream: Stream, connection: Connection): void {
    if (this.closed) {
      stream.abort(new Error('transport closed'))
      return
    }
    const from = connection.remotePeer.toString()
    const decoder = new LengthPrefixedDecoder(kind === 'packet' ? this.limits.maxPacketBytes : this.limits.maxFrameBytes)
    this.inbound.add(stream)
    stream.addEventListener('message', event => {
      if (this.closed) return
      const data = event.data
      const { payloads, oversizedLength } = decoder.push(data instanceof Uint8Array ? data : data.subarray())
      for (const payload of payloads) this.deliver(kind, from, payload)
      if (oversizedLength !== undefined) {
        this.stats.receivedOversizedDropped++
        stream.abort(new Error(`${kind} of ${oversizedLength} bytes is over the bound`))
      }
    })
    let ended = false
    const end = (): void => {
      if (ended) return
      ended = true
      if (decoder.pendingBytes > 0 && !this.closed) this.stats.receivedTruncatedDropped++
    }
    // We never write on an accepted stream, so once the peer closes its end, closing ours releases it.
    stream.addEventListener('remoteCloseWrite', () => {
      end()
      stream.close().catch(() => { stream.abort(new Error('close failed')) })
    })
    stream.addEventListener('close', () => {
      this.inbound.delete(stream)
      end()
    })
  }

  private deliver (kind: ChannelClass, from: NodeId, payload: Uint8Array): void {
    if (this.closed) return
    if (kind === 'packet') this.stats.packetsReceived++
    else this.stats.framesReceived++
    this.stats.bytesReceived += payload.byteLength
    try {
      if (kind === 'packet') this.handler.onPacket(from, payload)
      else this.handler.onFrame(from, payload)
    } catch {
      // A protocol bug must not tear down the stream for every later message (ARCHITECTURE.md rule 4).
      this.stats.handlerErrors++
    }
  }

  private notifyClosed (peer: NodeId): void {
    if (this.closed) return
    try {
      this.handler.onClosed(peer)
    } catch {
      this.stats.handlerErrors++
    }
  }

  /** libp2p emits it when the last connection to a peer closes. */
  private readonly onPeerDisconnect = (event: CustomEvent<PeerId>): void => {
    // The streams die with the connection and their channels clean up on their own 'close' events.
    this.notifyClosed(event.detail.toString())
  }
}

/** Creates a `Libp2pTransport` on `node` and starts it. */
export async function createLibp2pTransport (node: Libp2pTransportNode, init: Libp2pTransportInit = {}): Promise<Libp2pTransport> {
  const transport = new Libp2pTransport(node, init)
  await transport.start()
  return transport
}
