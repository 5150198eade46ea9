/**
 * Simulated member ids with the length of real ones: a libp2p Ed25519 peer id is 52 characters
 * ("12D3KooW" and 44 base58 characters), and the bytes-per-second figures should count what the real node
 * will send.
 */
const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'

export function simNodeId (index: number): string {
  let x = (index + 1) * 2654435761 >>> 0
  let tail = ''
  for (let i = 0; i < 38; i++) {
    x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) >>> 0
    tail += BASE58[x % 58]
  }
  return `12D3KooW${String(index).padStart(6, '0')}${tail}`
}
