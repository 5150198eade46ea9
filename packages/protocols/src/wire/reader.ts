/**
 * A minimal protobuf reader for the hot path. Membership packets are decoded tens of thousands of times a
 * second in the simulator, and most of the news they carry is news we already have, so the reader keeps
 * each update as a byte slice with its few scalar fields, and decodes the metadata only when it is needed.
 * It throws `WireFormatError` on any malformed input; the codec turns that into a counted drop.
 */
export class WireFormatError extends Error {}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Strings up to this long take the ASCII fast path in `string()`. */
const SHORT_STRING_BYTES = 128

export class ProtoReader {
  pos: number

  constructor (readonly buf: Uint8Array, start = 0, readonly end = buf.length) {
    this.pos = start
  }

  get done (): boolean { return this.pos >= this.end }

  /** A varint of up to 53 bits (protobuf allows 64; larger values are not valid here). */
  varint (): number {
    let result = 0
    let scale = 1
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.end) throw new WireFormatError('truncated varint')
      const b = this.buf[this.pos++]
      result += (b & 0x7f) * scale
      if (b < 0x80) return result
      scale *= 128
    }
    throw new WireFormatError('varint too long')
  }

  uint32 (): number {
    const v = this.varint()
    if (v > 0xffffffff) throw new WireFormatError('value over 32 bits')
    return v
  }

  /** A length-delimited field's payload, as a view into the buffer (no copy). */
  bytes (): Uint8Array {
    const len = this.varint()
    if (this.pos + len > this.end) throw new WireFormatError('truncated field')
    const out = this.buf.subarray(this.pos, this.pos + len)
    this.pos += len
    return out
  }

  string (): string {
    const bytes = this.bytes()
    // Ids and names are short ASCII: building them by char code is several times faster than TextDecoder.
    if (bytes.length <= SHORT_STRING_BYTES) {
      let ascii = true
      for (let i = 0; i < bytes.length; i++) if (bytes[i] > 0x7f) { ascii = false; break }
      if (ascii) return String.fromCharCode.apply(null, bytes as unknown as number[])
    }
    try {
      return utf8.decode(bytes)
    } catch (err) {
      if (err instanceof WireFormatError) throw err
      throw new WireFormatError('invalid UTF-8')
    }
  }

  /** Skips a field of an unknown number, for forward compatibility. */
  skip (wireType: number): void {
    switch (wireType) {
      case 0: this.varint(); return
      case 1: this.advance(8); return
      case 2: this.bytes(); return
      case 5: this.advance(4); return
      default: throw new WireFormatError(`unsupported wire type ${wireType}`)
    }
  }

  /** Reads a repeated uint32 field in either packed or unpacked form into `out`, up to `limit` entries. */
  repeatedUint32 (wireType: number, out: number[], limit: number): void {
    if (wireType === 0) {
      out.push(this.uint32())
    } else if (wireType === 2) {
      const len = this.varint()
      const end = this.pos + len
      if (end > this.end) throw new WireFormatError('truncated packed field')
      const inner = new ProtoReader(this.buf, this.pos, end)
      while (!inner.done) out.push(inner.uint32())
      this.pos = end
    } else {
      throw new WireFormatError('wrong wire type for a repeated uint32')
    }
    if (out.length > limit) throw new WireFormatError(`more than ${limit} entries in a repeated field`)
  }

  fixed32 (): number {
    if (this.pos + 4 > this.end) throw new WireFormatError('truncated fixed32')
    const b = this.buf
    const p = this.pos
    this.pos += 4
    return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0
  }

  /** Reads a repeated fixed32 field in either packed or unpacked form into `out`, up to `limit` entries. */
  repeatedFixed32 (wireType: number, out: number[], limit: number): void {
    if (wireType === 5) {
      out.push(this.fixed32())
    } else if (wireType === 2) {
      const len = this.varint()
      if (len % 4 !== 0) throw new WireFormatError('packed fixed32 field of a length not a multiple of 4')
      const end = this.pos + len
      if (end > this.end) throw new WireFormatError('truncated packed field')
      while (this.pos < end) out.push(this.fixed32())
    } else {
      throw new WireFormatError('wrong wire type for a repeated fixed32')
    }
    if (out.length > limit) throw new WireFormatError(`more than ${limit} entries in a repeated field`)
  }

  private advance (n: number): void {
    if (this.pos + n > this.end) throw new WireFormatError('truncated field')
    this.pos += n
  }
}
