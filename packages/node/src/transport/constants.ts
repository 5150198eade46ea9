/**
 * Protocol ids and default limits of the libp2p transport (ARCHITECTURE.md rule 8: a named bound on every
 * queue, message size and timeout, units last).
 */

/**
 * Best-effort packets (SWIM probes, acks, gossip) ride their own stream, so a large anti-entropy frame
 * queued on the frame stream never delays a probe (ARCHITECTURE.md rule 7, latency classes).
 */
export const PACKET_PROTOCOL = '/dreammesh/membership/packet/1.0.0'

/** Reliable, ordered frames (anti-entropy chunks) ride a stream of their own. */
export const FRAME_PROTOCOL = '/dreammesh/membership/frame/1.0.0'

/**
 * The largest packet payload, in bytes. It matches `lanConfig().maxPacketBytes` in @dreammesh/protocols:
 * the protocol already sizes its packets for a UDP-like budget, and the transport refuses anything larger.
 */
export const MAX_PACKET_BYTES = 1_400

/** The largest frame payload, in bytes; matches `lanConfig().maxFrameBytes`. */
export const MAX_FRAME_BYTES = 64 * 1024

/** How long a frame may wait for a dial and stream negotiation before it is dropped, in ms. */
export const DIAL_TIMEOUT_MS = 5_000

/**
 * Packets that may wait for their stream to open or drain. Probes go stale within one probe interval, so
 * this is small and the oldest packet is the one dropped.
 */
export const MAX_QUEUED_PACKETS = 256

/** Bytes of packets (framing included) that may wait for their stream, per peer. */
export const MAX_QUEUED_PACKET_BYTES = 512 * 1024

/** Frames that may wait for their stream to open or drain, per peer. */
export const MAX_QUEUED_FRAMES = 1_024

/**
 * Bytes of frames (framing included) that may wait for their stream, per peer. A full anti-entropy round
 * is far smaller; reaching this means the peer is not reading, and the stream is reset (see
 * `OutboundChannel`).
 */
export const MAX_QUEUED_FRAME_BYTES = 8 * 1024 * 1024

/**
 * Inbound streams a peer may hold open per protocol and connection. One is the steady state; a few more
 * cover a stream being replaced after a reset.
 */
export const MAX_INBOUND_STREAMS = 4

/** Outbound streams this node opens per protocol and connection: one, plus one replacing it. */
export const MAX_OUTBOUND_STREAMS = 2
