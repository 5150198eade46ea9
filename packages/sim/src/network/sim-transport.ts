import { emptyTransportStats, type NodeId, type Transport, type TransportHandler, type TransportLimits, type TransportStats } from '@dreammesh/protocols'
import type { NodeRuntime } from '../clock/node-runtime.js'
import type { SimNetwork } from './sim-network.js'

const IGNORE_ALL: TransportHandler = { onPacket: () => {}, onFrame: () => {}, onClosed: () => {} }

/**
 * One node's `Transport` on a `SimNetwork`, for one incarnation: a crash or `close()` ends it for good and a
 * restart opens a new one (`SimNetwork.openTransport`). It keeps the core contract exactly: sends never
 * throw, payloads over `limits` are counted and not sent, and a frame that cannot be delivered is counted in
 * `stats.unreachableDropped` and reported through `onClosed`.
 *
 * `stats` count payload bytes, not wire overhead. Receiving is driven by the network; `onClosed` hints pass
 * through the node's `NodeRuntime`, so a paused node hears them when it resumes.
 */
export class SimTransport implements Transport {
  readonly limits: TransportLimits
  readonly stats: TransportStats = emptyTransportStats()
  private handler: TransportHandler = IGNORE_ALL
  private closedFlag = false
  /** Peers with an `onClosed` already on its way, so a burst of frames into a cut yields one hint. */
  private pendingNotices: Set<NodeId> | undefined

  constructor (
    private readonly network: SimNetwork,
    /** The node's index on its network. */
    readonly index: number,
    readonly localId: NodeId,
    private readonly runtime: NodeRuntime
  ) {
    this.limits = network.limits
  }

  /** True once closed or crashed; nothing is sent or delivered after that. */
  get closed (): boolean { return this.closedFlag }

  sendPacket (to: NodeId, bytes: Uint8Array): void {
    if (this.closedFlag) return
    const byteLength = bytes.byteLength
    if (byteLength > this.limits.maxPacketBytes) {
      this.stats.oversizedDropped++
      this.network.countOversized(this.index, false, byteLength)
      return
    }
    this.stats.packetsSent++
    this.stats.bytesSent += byteLength
    this.network.sendPacket(this.index, to, bytes)
  }

  sendFrame (to: NodeId, bytes: Uint8Array): void {
    if (this.closedFlag) return
    const byteLength = bytes.byteLength
    if (byteLength > this.limits.maxFrameBytes) {
      this.stats.oversizedDropped++
      this.network.countOversized(this.index, true, byteLength)
      return
    }
    this.stats.framesSent++
    this.stats.bytesSent += byteLength
    this.network.sendFrame(this.index, to, bytes)
  }

  listen (handler: TransportHandler): void {
    if (!this.closedFlag) this.handler = handler
  }

  /** Closes gracefully: recent peers see the connection close. Idempotent. */
  async close (): Promise<void> {
    if (!this.closedFlag) this.network.closeTransport(this.index, true)
  }

  /** @internal The network delivers a packet. */
  receivePacket (from: NodeId, bytes: Uint8Array): void {
    this.stats.packetsReceived++
    this.stats.bytesReceived += bytes.byteLength
    this.handler.onPacket(from, bytes)
  }

  /** @internal The network delivers a frame. */
  receiveFrame (from: NodeId, bytes: Uint8Array): void {
    this.stats.framesReceived++
    this.stats.bytesReceived += bytes.byteLength
    this.handler.onFrame(from, bytes)
  }

  /** @internal A frame to `peer` was dropped; the sender hears of it after `delayMs`, as a dial times out. */
  frameUndeliverable (peer: NodeId, delayMs: number): void {
    this.stats.unreachableDropped++
    this.noticeClosed(peer, delayMs)
  }

  /** @internal The connection to `peer` closed at the far end; the FIN or RST arrives after `delayMs`. */
  connectionClosed (peer: NodeId, delayMs: number): void {
    this.noticeClosed(peer, delayMs)
  }

  /** @internal The network closed this transport. */
  markClosed (): void {
    this.closedFlag = true
    this.handler = IGNORE_ALL
    this.pendingNotices = undefined
  }

  private noticeClosed (peer: NodeId, delayMs: number): void {
    const pending = this.pendingNotices ??= new Set()
    if (pending.has(peer)) return
    pending.add(peer)
    const runtime = this.runtime
    const notify = (): void => {
      if (this.closedFlag) return
      if (runtime.paused) {
        runtime.hold(notify, 0)
        return
      }
      this.pendingNotices?.delete(peer)
      this.handler.onClosed(peer)
    }
    this.network.queue.after(delayMs, notify)
  }
}
