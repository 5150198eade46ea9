import type { Stream } from '@libp2p/interface'
import { PREFIX_BYTES } from '../transport/length-prefix.js'

/**
 * Pull-style reading of a libp2p stream: one length-prefixed JSON frame, then raw bytes. The bulk of a state
 * transfer is raw bytes, so it is read as the stream delivers it, never buffered whole.
 */
export class StreamReader {
  private readonly source: AsyncIterator<Uint8Array | { subarray: () => Uint8Array }>
  private pending: Uint8Array = new Uint8Array(0)

  constructor (stream: Stream) {
    this.source = stream[Symbol.asyncIterator]()
  }

  /** One length-prefixed frame of at most `maxBytes`, parsed as JSON; throws on a bad or oversized frame. */
  async readJson (maxBytes: number): Promise<unknown> {
    const prefix = await this.readExactly(PREFIX_BYTES)
    const length = new DataView(prefix.buffer, prefix.byteOffset, PREFIX_BYTES).getUint32(0)
    if (length > maxBytes) throw new ProtocolError('oversized', `a frame of ${length} bytes is over the bound of ${maxBytes}`)
    const body = await this.readExactly(length)
    try {
      return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body))
    } catch (err) {
      throw new ProtocolError('malformed', `the frame is not JSON: ${(err as Error).message}`)
    }
  }

  /** Yields exactly `total` bytes, as chunks; throws if the stream ends first. */
  async * readBytes (total: number): AsyncGenerator<Uint8Array> {
    let left = total
    while (left > 0) {
      const chunk = this.pending.byteLength > 0 ? this.takePending(left) : await this.next(left)
      left -= chunk.byteLength
      yield chunk
    }
  }

  private async readExactly (n: number): Promise<Uint8Array> {
    const out = new Uint8Array(n)
    let filled = 0
    for await (const chunk of this.readBytes(n)) {
      out.set(chunk, filled)
      filled += chunk.byteLength
    }
    return out
  }

  private takePending (max: number): Uint8Array {
    const chunk = this.pending.subarray(0, max)
    this.pending = this.pending.subarray(chunk.byteLength)
    return chunk
  }

  private async next (max: number): Promise<Uint8Array> {
    for (;;) {
      const r = await this.source.next()
      if (r.done === true) throw new ProtocolError('truncated', 'the stream ended early')
      const data = r.value instanceof Uint8Array ? r.value : r.value.subarray()
      if (data.byteLength === 0) continue
      this.pending = data
      return this.takePending(max)
    }
  }
}

/** Why a transfer failed on the wire; `code` is stable, for counters. */
export class ProtocolError extends Error {
  constructor (readonly code: 'oversized' | 'malformed' | 'truncated' | 'bad-request' | 'bad-header' | 'checksum-mismatch' | 'timeout', message: string) {
    super(message)
    this.name = 'ProtocolError'
  }
}
