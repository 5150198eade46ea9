/**
 * Identifiers shared by every protocol.
 *
 * A `NodeId` is opaque to the protocols: the real node uses the libp2p peer id string, the simulator a short
 * name. Protocols only compare, hash and copy ids; they never parse them.
 */
export type NodeId = string

/** The longest node id a protocol accepts from the wire, in UTF-8 bytes (a libp2p Ed25519 peer id is 52). */
export const MAX_NODE_ID_BYTES = 128

/**
 * FNV-1a, 32 bits. Used for digests and bucketing, where speed and stability across runs matter and
 * adversarial collisions do not (the connection already authenticates the peer).
 */
export function fnv1a32 (text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** A 32-bit finaliser (murmur3's fmix32) that spreads small changes over every bit. */
export function mix32 (x: number): number {
  x ^= x >>> 16
  x = Math.imul(x, 0x85ebca6b)
  x ^= x >>> 13
  x = Math.imul(x, 0xc2b2ae35)
  x ^= x >>> 16
  return x >>> 0
}
