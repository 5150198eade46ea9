/**
 * Defaults for `SimNetworkOptions`. They describe a quiet wired LAN; `wifiProfile()` and the scenario
 * options make things worse on purpose.
 */

/** One-way delay floor on a switched gigabit LAN, in milliseconds. */
export const DELAY_MIN_MS = 0.1
/** One-way mean delay on a quiet switched LAN (half a typical 0.5 ms ping), in milliseconds. */
export const DELAY_MEAN_MS = 0.25
/** How long a reordered packet is held back at least (and at most twice this), in milliseconds. */
export const REORDER_DELAY_MS = 20

/**
 * The first retransmission timeout of a stream, in milliseconds. RFC 6298 section 2.4 says 1 s, but Linux
 * uses TCP_RTO_MIN = 200 ms, and that is what the peers on a LAN actually run.
 */
export const STREAM_MIN_RTO_MS = 200
/** The retransmission timeout stops doubling here: Linux's TCP_RTO_MAX, in milliseconds. */
export const STREAM_MAX_RTO_MS = 120_000
/**
 * Consecutive losses of one frame after which the connection is declared broken: Linux's default
 * net.ipv4.tcp_retries2. With realistic loss rates this never happens; with loss near 1 it bounds the work.
 */
export const STREAM_MAX_RETRANSMITS = 15

/**
 * The largest packet payload, in bytes: what fits in one 1500-byte Ethernet frame after IP, UDP and a
 * little framing. hashicorp/memberlist's UDPBufferSize default is 1400 for the same reason.
 */
export const MAX_PACKET_BYTES = 1400
/** The largest stream frame payload, in bytes (1 MiB: a state archive chunk, not a whole archive). */
export const MAX_FRAME_BYTES = 1_048_576
/** How long a frame waits for a connection before the peer is reported closed; libp2p's dial timeout, in ms. */
export const DIAL_TIMEOUT_MS = 5_000
/**
 * When a node crashes, peers that exchanged frames with it this recently see their connection close, in
 * milliseconds. Older connections would have been pruned by the connection manager's idle timeout.
 */
export const CLOSE_NOTICE_WINDOW_MS = 60_000
