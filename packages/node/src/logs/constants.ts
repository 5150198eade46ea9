/** Names and bounds of the logs protocol (docs/protocol/logs.md). */

/** The libp2p protocol that streams an instance's logs from the node that has them. */
export const LOGS_PROTOCOL = '/dreammesh/logs/1.0.0'
/** The largest request, in bytes of its JSON. */
export const MAX_LOGS_REQUEST_BYTES = 4 * 1024
/** The most lines of tail one request may ask for (two rotated files hold about this many short lines). */
export const MAX_TAIL_LINES = 10_000
/** Lines sent when a request does not say. */
export const DEFAULT_TAIL_LINES = 100
/** Followers (`logs -f`) one node serves at once, and from any one peer. */
export const MAX_FOLLOWERS = 32
export const MAX_FOLLOWERS_PER_PEER = 8
/** The largest answer frame, in bytes: one line (bounded by the log's line cut) plus its envelope. */
export const MAX_LOGS_FRAME_BYTES = 64 * 1024
/**
 * Lines held for a follower that reads slower than the instance writes; past it lines are skipped and the
 * follower is told how many, so a slow reader never grows the node's memory.
 */
export const MAX_PENDING_LINES = 1_000
