import type { Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface'
import { ProtocolError } from '../state-transfer/stream-reader.js'
import { LengthPrefixedDecoder } from '../transport/length-prefix.js'

/**
 * Length-prefixed JSON frames from a libp2p stream, with backpressure. libp2p 3 delivers `message` events
 * whether or not anyone reads (its async iterator buffers without bound), so this reader holds at most
 * `highWaterBytes` of unread frames and pauses the stream beyond that. A paused yamux stream sends no window
 * updates, so the remote's sends block: it then has to bound its own queue (docs/protocol/logs.md).
 */
export class FrameReader {
  private readonly decoder: LengthPrefixedDecoder
  private readonly frames: Uint8Array[] = []
  private queuedBytes = 0
  private finished = false
  private failure: Error | undefined
  private wake: (() => void) | undefined

  constructor (private readonly stream: Stream, private readonly maxFrameBytes: number, private readonly highWaterBytes: number) {
    this.decoder = new LengthPrefixedDecoder(maxFrameBytes)
    stream.addEventListener('message', this.onMessage)
    stream.addEventListener('end', this.onEnd)
    stream.addEventListener('close', this.onClose)
  }

  /**
   * The next frame, parsed; undefined when the remote ended its side cleanly between frames. Throws
   * ProtocolError (oversized, malformed, truncated, timeout) or the stream's error when it was reset.
   */
  async next (signal?: AbortSignal): Promise<unknown> {
    for (;;) {
      const frame = this.frames.shift()
      if (frame !== undefined) {
        this.queuedBytes -= frame.byteLength
        if (this.stream.readStatus === 'paused' && this.queuedBytes < this.highWaterBytes / 2) this.stream.resume()
        return parse(frame)
      }
      if (this.failure !== undefined) throw this.failure
      if (this.finished) {
        if (this.decoder.pendingBytes > 0) throw new ProtocolError('truncated', 'the stream ended inside a frame')
        return undefined
      }
      if (signal?.aborted === true) throw new ProtocolError('timeout', 'no frame came in time')
      let onAbort: (() => void) | undefined
      await new Promise<void>(resolve => {
        this.wake = resolve
        onAbort = resolve
        signal?.addEventListener('abort', onAbort, { once: true })
      })
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort)
      this.wake = undefined
    }
  }

  /** Stops listening; the stream keeps whatever comes next. */
  release (): void {
    this.stream.removeEventListener('message', this.onMessage)
    this.stream.removeEventListener('end', this.onEnd)
    this.stream.removeEventListener('close', this.onClose)
  }

  private readonly onMessage = (event: StreamMessageEvent): void => {
    const data = event.data instanceof Uint8Array ? event.data : event.data.subarray()
    const decoded = this.decoder.push(data)
    for (const frame of decoded.payloads) {
      this.frames.push(frame)
      this.queuedBytes += frame.byteLength
    }
    if (decoded.oversizedLength !== undefined) {
      this.failure ??= new ProtocolError('oversized', `a frame of ${decoded.oversizedLength} bytes is over the bound of ${this.maxFrameBytes}`)
    } else if (this.queuedBytes > this.highWaterBytes && this.stream.readStatus === 'readable') {
      this.stream.pause()
    }
    this.wake?.()
  }

  private readonly onEnd = (): void => {
    this.finished = true
    this.wake?.()
  }

  private readonly onClose = (event: StreamCloseEvent): void => {
    if (event.error !== undefined) this.failure ??= event.error
    // A paused stream may close with frames still in its read buffer: let them through.
    else if (this.stream.readStatus === 'paused') {
      try { this.stream.resume() } catch {}
    }
    this.finished = true
    this.wake?.()
  }
}

function parse (frame: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(frame))
  } catch (err) {
    throw new ProtocolError('malformed', `the frame is not JSON: ${(err as Error).message}`)
  }
}
