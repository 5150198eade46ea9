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
    let n = p.length
    while (n >= 0x80) { out[at++] = (n & 0x7f) | 0x80; n = Math.floor(n / 128) }
    out[at++] = n
    out.set(p, at)
    at += p.length
  }
  return out
}
