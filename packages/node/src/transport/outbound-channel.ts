import type { Stream } from '@libp2p/interface'

/** What to do when the queue is full. */
export type OverflowPolicy =
  /** Best-effort traffic: drop the oldest queued message, since a newer probe is worth more than a stale one. */
  | 'drop-oldest'
  /** Reliable traffic: a gap would break ordering, so the stream is reset and the owner told. */
  | 'reset'

export interface OutboundChannelInit {
  /** Opens the stream. It must honour `signal` (the dial timeout, or the transport closing). */
  open: (signal: AbortSignal) => Promise<Stream>
  /** The longest `open` may take, in ms. */
  openTimeoutMs: number
  /** Aborted when the owner closes; stops a pending open. */
  closeSignal: AbortSignal
  maxQueuedMessages: number
  maxQueuedBytes: number
  overflow: OverflowPolicy
  /** The stream could not be opened; `dropped` queued messages were discarded. */
  onOpenFailed: (dropped: number, err: unknown) => void
  /**
   * The stream closed or was reset under us, or the queue overflowed under the `reset` policy; `dropped`
   * queued messages were discarded (bytes already handed to the stream may be lost too).
   */
  onBroken: (dropped: number) => void
  /** One queued message was discarded under the `drop-oldest` policy. */
  onOverflowDropped: () => void
}

type State = 'idle' | 'opening' | 'open' | 'closed'

/**
 * One long-lived outbound stream to one peer for one latency class, with a bounded queue in front of it.
 * Messages wait in the queue only while the stream opens or while libp2p asks for a drain (`send()`
 * returned false); otherwise they go straight to the stream.
 *
 * Each side writes only on streams it opened and reads only on streams it accepted, so two peers that
 * start talking at once never race to agree on one shared stream.
 */
export class OutboundChannel {
  private state: State = 'idle'
  private stream: Stream | undefined
  private queue: Uint8Array[] = []
  private queuedBytes = 0
  /** Bumped whenever a pending open stops being wanted, so a late result is aborted, not attached. */
  private generation = 0

  constructor (private readonly init: OutboundChannelInit) {}

  /** True while a stream is open (so sending needs no new stream). */
  get isOpen (): boolean {
    return this.state === 'open'
  }

  /** Queues or sends one already-framed message. */
  send (wire: Uint8Array): void {
    if (this.state === 'closed') return
    const stream = this.stream
    if (this.state === 'open' && stream !== undefined && this.queue.length === 0 && !stream.writableNeedsDrain) {
      this.write(stream, wire)
      return
    }
    if (this.queue.length >= this.init.maxQueuedMessages || this.queuedBytes + wire.byteLength > this.init.maxQueuedBytes) {
      if (this.init.overflow === 'reset') {
        this.reset(1)
        return
      }
      // drop-oldest; a single message over maxQueuedBytes empties the queue and then fits or is dropped.
      while (this.queue.length > 0 && (this.queue.length >= this.init.maxQueuedMessages || this.queuedBytes + wire.byteLength > this.init.maxQueuedBytes)) {
        const oldest = this.queue.shift() as Uint8Array
        this.queuedBytes -= oldest.byteLength
        this.init.onOverflowDropped()
      }
      if (this.queuedBytes + wire.byteLength > this.init.maxQueuedBytes) {
        this.init.onOverflowDropped()
        return
      }
    }
    this.queue.push(wire)
    this.queuedBytes += wire.byteLength
    if (this.state === 'idle') this.startOpen()
  }

  /** Discards the queue and aborts the stream without telling the owner. Idempotent. */
  close (): void {
    if (this.state === 'closed') return
    this.state = 'closed'
    this.generation++
    this.clearQueue()
    const stream = this.stream
    this.stream = undefined
    stream?.abort(new Error('transport closed'))
  }

  private startOpen (): void {
    this.state = 'opening'
    const generation = ++this.generation
    const signal = AbortSignal.any([AbortSignal.timeout(this.init.openTimeoutMs), this.init.closeSignal])
    this.init.open(signal).then(stream => {
      if (this.state !== 'opening' || this.generation !== generation) {
        stream.abort(new Error('transport closed'))
        return
      }
      this.attach(stream)
    }, (err: unknown) => {
      if (this.state !== 'opening' || this.generation !== generation) return
      this.state = 'idle'
      this.init.onOpenFailed(this.clearQueue(), err)
    })
  }

  private attach (stream: Stream): void {
    this.stream = stream
    this.state = 'open'
    stream.addEventListener('drain', () => { this.flush() })
    stream.addEventListener('close', () => {
      // Our own close() already moved on; anything else means bytes may have been lost.
      if (this.stream !== stream) return
      this.stream = undefined
      this.state = 'idle'
      this.init.onBroken(this.clearQueue())
    })
    this.flush()
  }

  private flush (): void {
    const stream = this.stream
    while (this.state === 'open' && stream !== undefined && this.stream === stream && this.queue.length > 0 && !stream.writableNeedsDrain) {
      const wire = this.queue.shift() as Uint8Array
      this.queuedBytes -= wire.byteLength
      this.write(stream, wire)
    }
  }

  private write (stream: Stream, wire: Uint8Array): void {
    try {
      // A false return means "wait for drain"; the message itself was accepted.
      stream.send(wire)
    } catch (err) {
      // The stream closed for writing between our checks and the send; its 'close' event reports it, and
      // if that already fired, aborting is a no-op.
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  /** Resets the stream after an overflow under the `reset` policy; `extra` counts the refused message. */
  private reset (extra: number): void {
    const stream = this.stream
    this.stream = undefined
    const dropped = this.clearQueue() + extra
    this.state = 'idle'
    this.generation++
    stream?.abort(new Error('send queue overflow'))
    this.init.onBroken(dropped)
  }

  private clearQueue (): number {
    const dropped = this.queue.length
    this.queue = []
    this.queuedBytes = 0
    return dropped
  }
}
