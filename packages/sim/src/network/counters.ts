/** Why the network dropped a packet or a frame. */
export interface DropCounters {
  /** Random loss on the wire (packets only: a stream turns loss into delay). */
  loss: number
  /** The sender and receiver were on opposite sides of a partition when it was sent. */
  partition: number
  /** No open transport answered for the destination id when it was sent. */
  unreachable: number
  /** The receiver's (or, for a frame, the sender's) transport closed or crashed while it was in flight. */
  closed: number
  /** A frame lost `streamMaxRetransmits` times in a row: the connection broke. */
  retransmitLimit: number
  /** Larger than the transport's limit, so never sent. */
  oversized: number
}

/** Traffic through one node (or, summed, through the whole network). */
export interface TrafficCounters {
  packetsSent: number
  packetsReceived: number
  framesSent: number
  framesReceived: number
  /** Payload bytes sent, packets and frames together. */
  bytesSent: number
  /** Payload bytes received, duplicates included. */
  bytesReceived: number
  /** Extra copies of packets the network delivered. */
  packetsDuplicated: number
  /**
   * Retransmissions on connections (frames, and packets too in the `streams` model): each one is a loss
   * that cost a message a timeout instead of the message.
   */
  framesRetransmitted: number
  packetsDropped: DropCounters
  framesDropped: DropCounters
  /** Payload bytes of everything dropped. */
  bytesDropped: number
}

/** A zeroed `DropCounters`. */
export function emptyDropCounters (): DropCounters {
  return { loss: 0, partition: 0, unreachable: 0, closed: 0, retransmitLimit: 0, oversized: 0 }
}

/** A zeroed `TrafficCounters`. */
export function emptyTrafficCounters (): TrafficCounters {
  return {
    packetsSent: 0,
    packetsReceived: 0,
    framesSent: 0,
    framesReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    packetsDuplicated: 0,
    framesRetransmitted: 0,
    packetsDropped: emptyDropCounters(),
    framesDropped: emptyDropCounters(),
    bytesDropped: 0
  }
}

/** Adds `from` into `into` and returns `into`. */
export function addTrafficCounters (into: TrafficCounters, from: TrafficCounters): TrafficCounters {
  into.packetsSent += from.packetsSent
  into.packetsReceived += from.packetsReceived
  into.framesSent += from.framesSent
  into.framesReceived += from.framesReceived
  into.bytesSent += from.bytesSent
  into.bytesReceived += from.bytesReceived
  into.packetsDuplicated += from.packetsDuplicated
  into.framesRetransmitted += from.framesRetransmitted
  addDrops(into.packetsDropped, from.packetsDropped)
  addDrops(into.framesDropped, from.framesDropped)
  into.bytesDropped += from.bytesDropped
  return into
}

function addDrops (into: DropCounters, from: DropCounters): void {
  into.loss += from.loss
  into.partition += from.partition
  into.unreachable += from.unreachable
  into.closed += from.closed
  into.retransmitLimit += from.retransmitLimit
  into.oversized += from.oversized
}
