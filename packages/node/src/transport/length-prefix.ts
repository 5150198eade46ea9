/**
 * Length-prefixed framing for the packet and frame streams. libp2p 3 streams deliver `message` events in
 * arbitrary chunks (yamux and noise split and merge writes), so message boundaries are carried in-band.
 *
 * Grammar (the same on both protocols; only the bound differs):
 *
 *     message := uint32be(length) • payload[length]      length <= the protocol's bound
 *
 * A fixed 4-byte prefix rather than a varint: every 4 bytes decode, so the only malformed input is a length
 * over the bound (checked before any payload byte is buffered) or a stream that ends mid-message.
 */

/** Bytes of the length prefix. */
export const PREFIX_BYTES = 4

/** Copies `payload` behind its length prefix, so later changes to the caller's buffer cannot reach the wire. */
export function encodeLengthPrefixed (payload: Uint8Array): Uint8Array {
  const wire = new Uint8Array(PREFIX_BYTES + payload.byteLength)
  new DataView(wire.buffer).setUint32(0, payload.byteLength)
  wire.set(payload, PREFIX_BYTES)
  return wire
}

export interface DecodeResult {
  /** Whole payloads, in order. */
  payloads: Uint8Array[]
  /** Set when a prefix announced more than the bound: the stream is unusable from here on. */
  oversizedLength?: number
}

/**
 * Reassembles payloads from chunks. It buffers at most one prefix plus one payload within the bound, so a
 * peer cannot make it hold more than `maxPayloadBytes + PREFIX_BYTES` bytes.
 */
export class LengthPrefixedDecoder {
  private chunks: Uint8Array[] = []
  private buffered = 0
  /** Length of the payload being assembled, once its prefix was read. */
  private expected: number | undefined
  private failed = false

  constructor (private readonly maxPayloadBytes: number) {}

  /** Bytes held of a message not yet complete: non-zero when a stream ends mid-message. */
  get pendingBytes (): number {
    return this.buffered + (this.expected !== undefined ? PREFIX_BYTES : 0)
  }

  push (chunk: Uint8Array): DecodeResult {
    const payloads: Uint8Array[] = []
    if (this.failed) return { payloads }
    if (chunk.byteLength > 0) {
      this.chunks.push(chunk)
      this.buffered += chunk.byteLength
    }
    for (;;) {
      if (this.expected === undefined) {
        if (this.buffered < PREFIX_BYTES) break
        const prefix = this.take(PREFIX_BYTES)
        const length = new DataView(prefix.buffer, prefix.byteOffset, PREFIX_BYTES).getUint32(0)
        if (length > this.maxPayloadBytes) {
          this.failed = true
          this.chunks = []
          this.buffered = 0
          return { payloads, oversizedLength: length }
        }
        this.expected = length
      }
      if (this.buffered < this.expected) break
      payloads.push(this.take(this.expected))
      this.expected = undefined
    }
    return { payloads }
  }

  /** Removes and returns the first `n` buffered bytes, always as a copy the caller owns. */
  private take (n: number): Uint8Array {
    const out = new Uint8Array(n)
    let filled = 0
    while (filled < n) {
      const head = this.chunks[0]
      const wanted = n - filled
      if (head.byteLength <= wanted) {
        out.set(head, filled)
        filled += head.byteLength
        this.chunks.shift()
      } else {
        out.set(head.subarray(0, wanted), filled)
        filled += wanted
        this.chunks[0] = head.subarray(wanted)
      }
    }
    this.buffered -= n
    return out
  }
}
