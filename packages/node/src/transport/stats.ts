import { emptyTransportStats, type TransportStats } from '@dreammesh/protocols'

/**
 * The core `TransportStats` plus what only a real network does. Every drop has a counter (ARCHITECTURE.md
 * rule 4). "Sent" counts what the transport accepted for sending; a later drop is counted again here.
 */
export interface Libp2pTransportStats extends TransportStats {
  /** Packets to a peer with no open connection: dropped, since a probe never dials. */
  packetsNotConnectedDropped: number
  /** Queued messages discarded because a queue was full, or because their stream broke before sending. */
  queueDropped: number
  /** Incoming messages whose length prefix exceeded the bound; the sender's stream was reset each time. */
  receivedOversizedDropped: number
  /** Incoming streams that ended in the middle of a message; the partial message was dropped. */
  receivedTruncatedDropped: number
  /** Times the installed handler threw. The transport keeps running. */
  handlerErrors: number
}

export function emptyLibp2pTransportStats (): Libp2pTransportStats {
  return {
    ...emptyTransportStats(),
    packetsNotConnectedDropped: 0,
    queueDropped: 0,
    receivedOversizedDropped: 0,
    receivedTruncatedDropped: 0,
    handlerErrors: 0
  }
}
