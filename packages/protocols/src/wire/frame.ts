/**
 * Splicing pre-encoded protobuf fields onto a message.
 *
 * Protobuf defines the concatenation of two encodings as their merge, and a repeated field's entries as
 * appended. So a Packet is its small header, encoded once, followed by `tag • varint(len) • update` for each
 * gossiped update, each encoded once when it was queued. That makes the byte budget of a packet exact and
 * saves re-encoding the same news for every receiver.
 */

/** The bytes a length-delimited field of `payloadBytes` adds to a message. */
export function fieldCost (payloadBytes: number): number {
  return 1 + varintLength(payloadBytes) + payloadBytes
}

export function varintLength (n: number): number {
  let len = 1
  while (n >= 0x80) { n = Math.floor(n / 128); len++ }
  return len
}

/** `header` followed by each part as length-delimited field `fieldNumber` (which must be below 16). */
export function spliceRepeated (header: Uint8Array, fieldNumber: number, parts: Uint8Array[]): Uint8Array {
  let total = header.length
  for (const p of parts) total += fieldCost(p.length)
  const out = new Uint8Array(total)
  out.set(header, 0)
  let at = header.length
  const tag = (fieldNumber << 3) | 2
  for (const p of parts) {
    out[at++] = tag
    at = writeVarint(out, at, p.length)
    out.set(p, at)
    at += p.length
  }
  return out
}

const utf8 = new TextEncoder()

/**
 * The strings in packet headers are member ids, a bounded set: their UTF-8 bytes are cached instead of
 * encoded for every packet. The cache is cleared when it grows past its bound, so it cannot leak.
 */
const encoded = new Map<string, Uint8Array>()
const MAX_CACHED_STRINGS = 65_536

function utf8Cached (s: string): Uint8Array {
  let bytes = encoded.get(s)
  if (bytes === undefined) {
    if (encoded.size >= MAX_CACHED_STRINGS) encoded.clear()
    bytes = utf8.encode(s)
    encoded.set(s, bytes)
  }
  return bytes
}

/**
 * Encodes a message made of varint fields and at most one string field, in field order, exactly as protobuf
 * (and protons) would: a field at its default value (0, '') is omitted. Used for the Packet header, which is
 * built for every packet sent; the round trip through protons' decoder is tested.
 */
export function encodeScalars (fields: Array<[field: number, value: number | string, fixed32?: 'fixed32']>): Uint8Array {
  const parts: Array<number | Uint8Array> = []
  let total = 0
  for (const [field, value, fixed] of fields) {
    if (fixed === 'fixed32') {
      if (value === 0) continue
      const bytes = new Uint8Array(4)
      new DataView(bytes.buffer).setUint32(0, value as number, true)
      total += 5
      parts.push((field << 3) | 5, bytes)
    } else if (typeof value === 'number') {
      if (value === 0) continue
      total += 1 + varintLength(value)
      parts.push(field << 3, value)
    } else {
      if (value.length === 0) continue
      const bytes = utf8Cached(value)
      total += fieldCost(bytes.length)
      parts.push((field << 3) | 2, bytes)
    }
  }
  const out = new Uint8Array(total)
  let at = 0
  for (let i = 0; i < parts.length; i += 2) {
    const tag = parts[i] as number
    out[at++] = tag
    const v = parts[i + 1]
    if (typeof v === 'number') {
      at = writeVarint(out, at, v)
    } else if ((tag & 7) === 5) {
      out.set(v, at)
      at += 4
    } else {
      at = writeVarint(out, at, v.length)
      out.set(v, at)
      at += v.length
    }
  }
  return out
}

function writeVarint (out: Uint8Array, at: number, n: number): number {
  while (n >= 0x80) { out[at++] = (n & 0x7f) | 0x80; n = Math.floor(n / 128) }
  out[at++] = n
  return at
}
