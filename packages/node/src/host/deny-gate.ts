import type { ConnectionGater, PeerId } from '@libp2p/interface'

/** Where a denied peer was stopped. */
export type DenyPoint = 'dial' | 'inbound' | 'outbound'

/** The revoked peers, as the desired state lists them (issue 5: `dreammesh revoke NODE`). */
export interface DenyList {
  /** Whether this peer id is revoked. Called on every dial and every handshake, so it must be cheap. */
  has: (peerId: string) => boolean
  /** Counts a refusal (for /metrics). */
  refused?: (at: DenyPoint) => void
}

/**
 * A libp2p connection gater that refuses revoked peers, secret or not: a lost or stolen machine still holds
 * the cluster code, so pnet lets its bytes through; this stops it once its peer id is known. Inbound and
 * outbound connections are checked right after encryption, the earliest point at which the remote peer id
 * is proven, and our own dials to it are never started.
 */
export function denyGate (list: DenyList): ConnectionGater {
  const deny = (peer: PeerId, at: DenyPoint): boolean => {
    if (!list.has(peer.toString())) return false
    list.refused?.(at)
    return true
  }
  return {
    denyDialPeer: (peer) => deny(peer, 'dial'),
    denyInboundEncryptedConnection: (peer) => deny(peer, 'inbound'),
    denyOutboundEncryptedConnection: (peer) => deny(peer, 'outbound')
  }
}
