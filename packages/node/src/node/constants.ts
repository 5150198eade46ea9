/**
 * Defaults of `createDreamNode()` (ARCHITECTURE.md rule 8: a named bound on everything, units last).
 */

/** Where a node listens when not told: every IPv4 interface, a port the OS picks. */
export const DEFAULT_LISTEN = ['/ip4/0.0.0.0/tcp/0']

/** How long a dial to a bootstrap peer or a learned member may take, in ms. */
export const MEMBER_DIAL_TIMEOUT_MS = 5_000

/**
 * Listen addresses put in the member's metadata, at most. The metadata must fit one ALIVE update in one
 * packet (`maxMetaBytes`, 1 KiB in every preset), shared with the name, tags and the state record.
 */
export const MAX_ADVERTISED_ADDRS = 8

/** UTF-8 bytes of listen addresses put in the member's metadata, at most (see MAX_ADVERTISED_ADDRS). */
export const MAX_ADVERTISED_ADDR_BYTES = 320

/** Dials to learned members in flight at once; more wait for the next event about that member. */
export const MAX_CONCURRENT_MEMBER_DIALS = 16

/** How often the node re-dials live members it has no connection to (after a partition heals), in ms. */
export const RECONNECT_INTERVAL_MS = 2_000

/** A graceful leave keeps the node running at least this long so the news spreads, in ms. */
export const LEAVE_GRACE_MIN_MS = 500

/** ... and at least this many gossip rounds of the membership config. */
export const LEAVE_GRACE_GOSSIP_ROUNDS = 10

/**
 * A member declared dead is hung up on only once nothing has been heard from it for this long, in ms. A
 * lost machine closes nothing, so its connection would linger (and a probe after its return could take that
 * stale path); but a member declared dead while it was only slow (a CPU-starved host) is still talking, and
 * hanging up on it would close its connection to us, which it takes as a hint against us: one false verdict
 * would spread as a storm of them. Refutation heals a false verdict over the connection that is kept.
 */
export const DEAD_HANGUP_SILENCE_MS = 5_000
