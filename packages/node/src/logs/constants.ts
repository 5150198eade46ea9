import { LOG_MAX_LINE_BYTES } from '../workloads/index.js'

/** Names and bounds of the logs protocol (docs/protocol/logs.md). */

/** The libp2p protocol that streams an instance's logs from the node that has them. */
export const LOGS_PROTOCOL = '/dreammesh/logs/1.0.0'
/** The largest request, in bytes of its JSON. */
export const MAX_LOGS_REQUEST_BYTES = 4 * 1024
/** A peer that opened a stream has this long to send its request, in ms; then the stream is reset and counted. */
export const LOGS_REQUEST_TIMEOUT_MS = 10_000
/** The most lines of tail one request may ask for, per stream. */
export const MAX_TAIL_LINES = 10_000
/**
 * The most bytes of history read from disk per stream, whatever `tail` says: a request costs the server at most
 * this (times two streams) in memory, though the files on disk hold up to twice the rotation size (8 MiB each).
 */
export const MAX_TAIL_BYTES = 2 * 1024 * 1024
/** Lines sent when a request does not say. */
export const DEFAULT_TAIL_LINES = 100
/**
 * A line is cut into pieces of at most this many UTF-16 code units, on disk history as in followed output:
 * the same cut as the supervisor's RotatingLog, so a tail and a follow show a long line alike.
 */
export const MAX_LINE_CHARS = LOG_MAX_LINE_BYTES
/**
 * The largest answer frame, in bytes: one line of MAX_LINE_CHARS plus its envelope. JSON may spend 6 bytes on
 * a code unit (`\u001b`, or a lone surrogate), so a line of control characters still fits.
 */
export const MAX_LOGS_FRAME_BYTES = 6 * MAX_LINE_CHARS + 1024
/** Followers (`logs -f`) one node serves at once. */
export const MAX_FOLLOWERS = 32
/** Followers one node serves at once to any one peer: a single reader cannot take every slot. */
export const MAX_FOLLOWERS_PER_PEER = 8
/**
 * Lines, and their bytes, held for a follower that reads slower than the instance writes; past either bound
 * lines are skipped (counted, and the reader is told how many), so a slow reader never grows the node's memory:
 * at most MAX_FOLLOWERS × MAX_PENDING_BYTES in all.
 */
export const MAX_PENDING_LINES = 1_000
export const MAX_PENDING_BYTES = 1024 * 1024
/**
 * Answer bytes a reader holds unread before it pauses the stream. Pausing stops yamux's window updates, so
 * the server's sends block and its own bounded follower queue (above) takes the excess: backpressure end to end.
 */
export const READER_HIGH_WATER_BYTES = 512 * 1024
/** How often a follower checks that the instance it follows still runs here, in ms. */
export const FOLLOW_RECHECK_MS = 1_000
/** How long a reader waits for a node to accept its request (the first `open` frame), in ms. */
export const LOGS_OPEN_TIMEOUT_MS = 3_000
/** The most nodes a reader asks, in turn, for an instance's logs when nobody knows where it ran. */
export const MAX_LOG_SEARCH_NODES = 16
/**
 * The whole search for the node that keeps an instance's logs, in ms: under the API client's wait for an
 * answer's head (CLIENT_REQUEST_TIMEOUT_MS, 10 s), so the user hears where the search ended.
 */
export const LOGS_SEARCH_BUDGET_MS = 8_000
