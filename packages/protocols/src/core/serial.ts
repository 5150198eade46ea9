/**
 * Whether sequence number `a` comes after `b`, with wrap-around at 2^32 (RFC 1982 serial number
 * arithmetic): gossiped records carry a 32-bit counter that a long-lived process may wrap.
 */
export function seqAfter (a: number, b: number): boolean {
  const diff = (a - b) >>> 0
  return diff !== 0 && diff < 0x8000_0000
}
