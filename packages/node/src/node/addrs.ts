import type { Multiaddr } from '@multiformats/multiaddr'
import { MAX_ADVERTISED_ADDR_BYTES, MAX_ADVERTISED_ADDRS } from './constants.js'

/** The multicodec of `/p2p/`. */
export const P2P_CODE = 421

/** The peer id in a multiaddr's `/p2p/` part, if it has one. */
export function peerIdOf (addr: Multiaddr): string | undefined {
  return addr.getComponents().find(c => c.code === P2P_CODE)?.value
}

/** Listen addresses without `/p2p/` (the member id says who), bounded to fit the member's metadata. */
export function advertisedAddrs (addrs: Multiaddr[]): string[] {
  const out: string[] = []
  let bytes = 0
  for (const addr of addrs) {
    const text = addr.decapsulateCode(P2P_CODE).toString()
    const size = Buffer.byteLength(text)
    if (out.includes(text)) continue
    if (out.length >= MAX_ADVERTISED_ADDRS || bytes + size > MAX_ADVERTISED_ADDR_BYTES) break
    out.push(text)
    bytes += size
  }
  return out
}
