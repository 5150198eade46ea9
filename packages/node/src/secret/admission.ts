import { preSharedKey } from '@libp2p/pnet'
import type { ComponentLogger, ConnectionProtector } from '@libp2p/interface'
import { clusterIdOf, pskOf, swarmKeyOf, type ClusterCode } from './cluster-code.js'

/**
 * Who may connect. `private`: only peers holding the cluster code, enforced by libp2p's private network
 * (pnet: every byte, the noise handshake included, is XSalsa20-encrypted under a key derived from the code,
 * so a stranger's connection dies before any protocol handler sees a byte). `open`: anyone on the network,
 * for demos only.
 */
export type Admission =
  | { mode: 'private', code: ClusterCode }
  | { mode: 'open' }

/** How long the pnet nonce exchange may take before the connection is dropped, in ms. */
export const PNET_HANDSHAKE_TIMEOUT_MS = 2_000

/** The libp2p connection protector for an admission, or undefined in open mode. */
export function connectionProtectorOf (admission: Admission): ((components: { logger: ComponentLogger }) => ConnectionProtector) | undefined {
  if (admission.mode === 'open') return undefined
  return preSharedKey({ psk: swarmKeyOf(pskOf(admission.code)), timeout: PNET_HANDSHAKE_TIMEOUT_MS })
}

/**
 * The public name of the cluster: a fingerprint of the code in private mode, `open` otherwise. It names the
 * mDNS service, so nodes of two clusters on one LAN do not even try to dial each other.
 */
export function clusterIdOfAdmission (admission: Admission): string {
  return admission.mode === 'open' ? 'open' : clusterIdOf(admission.code)
}

/** The mDNS service a cluster announces itself under. */
export function mdnsServiceTag (admission: Admission): string {
  return `_dreammesh-${clusterIdOfAdmission(admission)}._udp.local`
}
