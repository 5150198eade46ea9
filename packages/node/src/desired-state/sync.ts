import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'
import { encodeLengthPrefixed, LengthPrefixedDecoder } from '../transport/length-prefix.js'
import { OutboundChannel } from '../transport/outbound-channel.js'
import {
  DESIRED_STATE_PROTOCOL, MAX_INBOUND_SYNC_STREAMS, MAX_OUTBOUND_SYNC_STREAMS, MAX_PENDING_WRITE_BYTES, MAX_QUEUED_SYNC_BYTES,
  MAX_QUEUED_SYNC_MESSAGES, MAX_RESYNC_DELAY_MS, MAX_SYNC_MESSAGE_BYTES, RESYNC_DELAY_MS, SYNC_OPEN_TIMEOUT_MS
} from './constants.js'
import type { DesiredStateChange, DesiredStateStore, DesiredStateUpdate, RemoteRefusal } from './store.js'
import { decodeSyncMessage, encodeSyncMessage, type SyncDecodeFailure, type SyncMessage } from './sync-message.js'

/** The parts of a libp2p 3 node the sync uses; a full `Libp2p` fits. */
export type DesiredStateSyncNode = Pick<Libp2p, 'peerId' | 'handle' | 'unhandle' | 'dialProtocol' | 'getConnections' | 'addEventListener' | 'removeEventListener'>

/** Why a received message (or stream) was dropped. */
export type SyncDropReason =
  /** A length prefix over `maxMessageBytes`: the stream is reset. */
  | 'oversized'
  /** A stream ended in the middle of a message. */
  | 'truncated'
  | SyncDecodeFailure
  /** A state vector Yjs could not decode. */
  | 'malformed-state-vector'
  /** The store refused the update (malformed, document full, store closed or failed). */
  | RemoteRefusal
  /** The sender is on the deny list: its stream is reset. */
  | 'denied-peer'
  /** A bug of ours while handling a message; counted so it shows, never thrown into libp2p. */
  | 'handler-error'

/** Counters, for /metrics and tests. */
export interface DesiredStateSyncStats {
  /** Payloads read from peers. */
  messagesReceived: number
  /** Payloads queued to peers. */
  messagesSent: number
  /** Full syncs this node started (sync-requests sent). */
  syncsStarted: number
  /** Full syncs completed (sync-replies received and answered). */
  syncsCompleted: number
  /** Updates sent on to peers (one per update per peer). */
  updatesPushed: number
  /** Updates (incremental or in a reply) that the store applied. */
  updatesApplied: number
  /** Sync streams that could not be opened. */
  openFailures: number
  /** Sync streams that broke (closed under us, or reset when the send queue overflowed). */
  streamsBroken: number
  /** Full syncs redone after an open failure or a broken stream. */
  resyncs: number
  /** Times an inbound stream was paused because the store's writes fell behind. */
  pauses: number
  /** Messages not sent because they exceeded `maxMessageBytes`. */
  unsendable: number
  /** Received messages and streams dropped, by reason. */
  dropped: Partial<Record<SyncDropReason, number>>
}

export interface DesiredStateSyncInit {
  /** @default MAX_SYNC_MESSAGE_BYTES (8 MiB + 64 KiB) */
  maxMessageBytes?: number
  /** @default MAX_QUEUED_SYNC_MESSAGES (1,024) */
  maxQueuedMessages?: number
  /** @default MAX_QUEUED_SYNC_BYTES (about 12 MiB) */
  maxQueuedBytes?: number
  /** @default SYNC_OPEN_TIMEOUT_MS (5,000) */
  openTimeoutMs?: number
  /** @default MAX_PENDING_WRITE_BYTES (8 MiB) */
  maxPendingWriteBytes?: number
  /** @default RESYNC_DELAY_MS (500) */
  resyncDelayMs?: number
  /** @default MAX_RESYNC_DELAY_MS (30,000) */
  maxResyncDelayMs?: number
}

interface Session {
  peer: PeerId
  channel: OutboundChannel
}

/**
 * Keeps a `DesiredStateStore` in sync with every connected peer over `/dreammesh/desired-state/1.0.0`
 * (docs/protocol/desired-state.md).
 *
 * - On each new connection (and for those already open at `start`), a full sync: this node sends its state
 *   vector; the peer replies with what this node lacks and its own state vector; this node sends what the
 *   peer lacks. Both sides start one, so each direction is covered twice; Yjs applies duplicates as no-ops.
 * - Then every update the store applies, local or remote, is pushed to every connected peer but the one it
 *   came from. Forwarding remote updates carries edits across a mesh that is not complete; an update a peer
 *   already has changes nothing there and is not forwarded again, so the flood stops.
 * - Like the membership transport, each side writes only on the stream it opened and reads the ones its
 *   peers open. A broken stream or one that could not open is replaced, with a full sync, after a backoff
 *   (`resyncDelayMs`, doubling to `maxResyncDelayMs`) while the peer stays connected.
 * - Everything received is bounded (`maxMessageBytes`) and checked; a bad message is dropped and counted
 *   by reason in `stats.dropped`, never thrown. A denied peer's streams are reset.
 * - When the store's fsyncs fall behind (`maxPendingWriteBytes`), inbound streams pause until they catch up.
 *
 * Admission is pnet's and the connection gater's: any peer that reaches this handler is a member.
 */
export class DesiredStateSync {
  readonly stats: DesiredStateSyncStats = {
    messagesReceived: 0, messagesSent: 0, syncsStarted: 0, syncsCompleted: 0, updatesPushed: 0, updatesApplied: 0,
    openFailures: 0, streamsBroken: 0, resyncs: 0, pauses: 0, unsendable: 0, dropped: {}
  }

  private readonly limits: Required<DesiredStateSyncInit>
  private readonly sessions = new Map<string, Session>()
  private readonly synced = new Set<string>()
  private readonly failures = new Map<string, number>()
  private readonly retryTimers = new Map<string, ReturnType<typeof setTimeout>>()
  private readonly inbound = new Map<Stream, string>()
  private readonly paused = new Set<Stream>()
  private readonly closeController = new AbortController()
  private running = false

  constructor (private readonly node: DesiredStateSyncNode, private readonly store: DesiredStateStore, init: DesiredStateSyncInit = {}) {
    this.limits = {
      maxMessageBytes: init.maxMessageBytes ?? MAX_SYNC_MESSAGE_BYTES,
      maxQueuedMessages: init.maxQueuedMessages ?? MAX_QUEUED_SYNC_MESSAGES,
      maxQueuedBytes: init.maxQueuedBytes ?? MAX_QUEUED_SYNC_BYTES,
      openTimeoutMs: init.openTimeoutMs ?? SYNC_OPEN_TIMEOUT_MS,
      maxPendingWriteBytes: init.maxPendingWriteBytes ?? MAX_PENDING_WRITE_BYTES,
      resyncDelayMs: init.resyncDelayMs ?? RESYNC_DELAY_MS,
      maxResyncDelayMs: init.maxResyncDelayMs ?? MAX_RESYNC_DELAY_MS
    }
  }

  /** Registers the protocol and starts a full sync with every peer already connected. */
  async start (): Promise<void> {
    if (this.running) return
    await this.node.handle(DESIRED_STATE_PROTOCOL, (stream, connection) => { this.accept(stream, connection) }, {
      maxInboundStreams: MAX_INBOUND_SYNC_STREAMS, maxOutboundStreams: MAX_OUTBOUND_SYNC_STREAMS
    })
    this.running = true
    this.node.addEventListener('peer:connect', this.onPeerConnect)
    this.node.addEventListener('peer:disconnect', this.onPeerDisconnect)
    this.store.addEventListener('update', this.onStoreUpdate)
    this.store.addEventListener('change', this.onStoreChange)
    this.store.addEventListener('written', this.onStoreWritten)
    for (const connection of this.node.getConnections()) {
      if (connection.status === 'open') this.startSync(connection.remotePeer)
    }
  }

  /** Stops syncing: closes the sync streams and releases the protocol. The node and the store stay open. */
  async stop (): Promise<void> {
    if (!this.running) return
    this.running = false
    this.node.removeEventListener('peer:connect', this.onPeerConnect)
    this.node.removeEventListener('peer:disconnect', this.onPeerDisconnect)
    this.store.removeEventListener('update', this.onStoreUpdate)
    this.store.removeEventListener('change', this.onStoreChange)
    this.store.removeEventListener('written', this.onStoreWritten)
    this.closeController.abort()
    for (const timer of this.retryTimers.values()) clearTimeout(timer)
    this.retryTimers.clear()
    for (const session of this.sessions.values()) session.channel.close()
    this.sessions.clear()
    for (const stream of this.inbound.keys()) stream.abort(new Error('desired-state sync stopped'))
    this.inbound.clear()
    this.paused.clear()
    await Promise.allSettled([this.node.unhandle(DESIRED_STATE_PROTOCOL)])
  }

  /** Whether a full sync with `peer` completed since it last connected. */
  isSyncedWith (peer: string): boolean {
    return this.synced.has(peer)
  }

  // ---- sessions (what this node sends) ----

  /**
   * Opens a session to `peer` and sends it this node's state vector. `again` sends it even on an existing
   * session: a resync, when the peer's own sync made a new session while this node waited to retry.
   */
  private startSync (peer: PeerId, again = false): void {
    const id = peer.toString()
    if (!this.running || this.store.isDenied(id) || (this.sessions.has(id) && !again)) return
    this.session(peer)
    this.stats.syncsStarted++
    this.send(id, { kind: 'request', stateVector: this.store.stateVector() })
  }

  /** The session to `peer`, made if needed (a peer that started a sync first is answered on it). */
  private session (peer: PeerId): Session {
    const id = peer.toString()
    const existing = this.sessions.get(id)
    if (existing !== undefined) return existing
    const session: Session = {
      peer,
      channel: new OutboundChannel({
        open: async signal => await this.node.dialProtocol(peer, DESIRED_STATE_PROTOCOL, { signal }),
        openTimeoutMs: this.limits.openTimeoutMs,
        closeSignal: this.closeController.signal,
        maxQueuedMessages: this.limits.maxQueuedMessages,
        maxQueuedBytes: this.limits.maxQueuedBytes,
        // A gap in the updates cannot be skipped over: reset, and a full sync on a new stream repairs it.
        overflow: 'reset',
        onOpenFailed: () => {
          this.stats.openFailures++
          this.replace(session)
        },
        onBroken: () => {
          this.stats.streamsBroken++
          this.replace(session)
        },
        onOverflowDropped: () => {}
      })
    }
    this.sessions.set(id, session)
    return session
  }

  /** Drops a failed session and, while the peer stays connected, starts a full sync again after a backoff. */
  private replace (session: Session): void {
    const id = session.peer.toString()
    if (this.sessions.get(id) !== session) return
    session.channel.close()
    this.sessions.delete(id)
    this.synced.delete(id)
    if (!this.running || this.retryTimers.has(id)) return
    const failures = (this.failures.get(id) ?? 0) + 1
    this.failures.set(id, failures)
    const delayMs = Math.min(this.limits.resyncDelayMs * 2 ** (failures - 1), this.limits.maxResyncDelayMs)
    const timer = setTimeout(() => {
      this.retryTimers.delete(id)
      if (!this.running || !this.isConnected(session.peer)) return
      this.stats.resyncs++
      this.startSync(session.peer, true)
    }, delayMs)
    timer.unref?.()
    this.retryTimers.set(id, timer)
  }

  private send (peer: string, message: SyncMessage): boolean {
    const session = this.sessions.get(peer)
    if (session === undefined) return false
    const payload = encodeSyncMessage(message)
    if (payload.byteLength > this.limits.maxMessageBytes) {
      this.stats.unsendable++
      return false
    }
    this.stats.messagesSent++
    session.channel.send(encodeLengthPrefixed(payload))
    return true
  }

  private isConnected (peer: PeerId): boolean {
    return this.node.getConnections(peer).some(c => c.status === 'open')
  }

  // ---- inbound (what this node reads) ----

  private accept (stream: Stream, connection: Connection): void {
    const peer = connection.remotePeer.toString()
    if (!this.running) {
      stream.abort(new Error('desired-state sync stopped'))
      return
    }
    if (this.store.isDenied(peer)) {
      this.drop('denied-peer')
      stream.abort(new Error('denied'))
      return
    }
    // Replies go out on this node's own stream to the peer, made now if the peer's sync came first.
    this.session(connection.remotePeer)
    const decoder = new LengthPrefixedDecoder(this.limits.maxMessageBytes)
    this.inbound.set(stream, peer)
    stream.addEventListener('message', event => {
      if (!this.running || !this.inbound.has(stream)) return
      const data = event.data
      const { payloads, oversizedLength } = decoder.push(data instanceof Uint8Array ? data : data.subarray())
      for (const payload of payloads) this.receive(peer, connection.remotePeer, payload, stream)
      if (oversizedLength !== undefined) {
        this.drop('oversized')
        stream.abort(new Error(`a desired-state message of ${oversizedLength} bytes is over the bound`))
      }
    })
    let ended = false
    const end = (): void => {
      if (ended) return
      ended = true
      if (decoder.pendingBytes > 0 && this.running) this.drop('truncated')
    }
    // This node never writes on a stream it accepted: once the peer closes its end, closing ours releases it.
    stream.addEventListener('remoteCloseWrite', () => {
      end()
      stream.close().catch(() => { stream.abort(new Error('close failed')) })
    })
    stream.addEventListener('close', () => {
      this.inbound.delete(stream)
      this.paused.delete(stream)
      end()
    })
  }

  private receive (peer: string, peerId: PeerId, payload: Uint8Array, stream: Stream): void {
    try {
      this.stats.messagesReceived++
      if (this.store.isDenied(peer)) {
        this.drop('denied-peer')
        stream.abort(new Error('denied'))
        return
      }
      const decoded = decodeSyncMessage(payload)
      if (!decoded.ok) {
        this.drop(decoded.reason)
        return
      }
      const message = decoded.message
      if (message.kind === 'request') {
        const diff = this.diffFor(message.stateVector)
        if (diff === undefined) return
        this.session(peerId)
        this.send(peer, { kind: 'reply', stateVector: this.store.stateVector(), update: diff })
      } else if (message.kind === 'reply') {
        this.apply(peer, message.update, stream)
        const diff = this.diffFor(message.stateVector)
        if (diff === undefined) return
        this.send(peer, { kind: 'update', update: diff })
        this.stats.syncsCompleted++
        this.synced.add(peer)
        this.failures.delete(peer)
      } else {
        this.apply(peer, message.update, stream)
      }
    } catch {
      this.drop('handler-error')
    }
  }

  private apply (peer: string, update: Uint8Array, stream: Stream): void {
    const result = this.store.applyRemote(update, peer)
    if (!result.applied) {
      this.drop(result.reason)
      return
    }
    this.stats.updatesApplied++
    if (this.store.pendingWriteBytes > this.limits.maxPendingWriteBytes && !this.paused.has(stream)) {
      this.stats.pauses++
      this.paused.add(stream)
      stream.pause()
    }
  }

  private diffFor (stateVector: Uint8Array): Uint8Array | undefined {
    try {
      return this.store.diffSince(stateVector)
    } catch {
      this.drop('malformed-state-vector')
      return undefined
    }
  }

  private drop (reason: SyncDropReason): void {
    this.stats.dropped[reason] = (this.stats.dropped[reason] ?? 0) + 1
  }

  // ---- events ----

  private readonly onPeerConnect = (event: CustomEvent<PeerId>): void => {
    this.startSync(event.detail)
  }

  private readonly onPeerDisconnect = (event: CustomEvent<PeerId>): void => {
    const id = event.detail.toString()
    const session = this.sessions.get(id)
    this.sessions.delete(id)
    session?.channel.close()
    this.synced.delete(id)
    this.failures.delete(id)
    const timer = this.retryTimers.get(id)
    if (timer !== undefined) clearTimeout(timer)
    this.retryTimers.delete(id)
  }

  private readonly onStoreUpdate = (event: CustomEvent<DesiredStateUpdate>): void => {
    const { update, origin } = event.detail
    for (const id of this.sessions.keys()) {
      if (origin.kind === 'remote' && origin.peer === id) continue
      if (this.store.isDenied(id)) continue
      if (this.send(id, { kind: 'update', update })) this.stats.updatesPushed++
    }
  }

  /** A peer just denied loses its streams at once; the connection gater keeps it out from then on. */
  private readonly onStoreChange = (event: CustomEvent<DesiredStateChange>): void => {
    for (const id of event.detail.denied) {
      if (!this.store.isDenied(id)) continue
      const session = this.sessions.get(id)
      this.sessions.delete(id)
      session?.channel.close()
      this.synced.delete(id)
      for (const [stream, from] of this.inbound) {
        if (from === id) stream.abort(new Error('denied'))
      }
    }
  }

  private readonly onStoreWritten = (): void => {
    if (this.store.pendingWriteBytes > this.limits.maxPendingWriteBytes) return
    for (const stream of this.paused) stream.resume()
    this.paused.clear()
  }
}

/** Creates a `DesiredStateSync` on `node` for `store` and starts it. */
export async function createDesiredStateSync (node: DesiredStateSyncNode, store: DesiredStateStore, init: DesiredStateSyncInit = {}): Promise<DesiredStateSync> {
  const sync = new DesiredStateSync(node, store, init)
  await sync.start()
  return sync
}
