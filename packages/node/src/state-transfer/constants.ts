/** Names and bounds of the state transfer (docs/protocol/state-transfer.md). */

/** The libp2p protocol that carries a slot's state dir, as an archive, from the node that has it. */
export const STATE_PROTOCOL = '/dreammesh/state/1.0.0'
/** The largest request, in bytes of its JSON: a workload name and an index. */
export const MAX_STATE_REQUEST_BYTES = 4 * 1024
/** The largest answer header, in bytes of its JSON. */
export const MAX_STATE_HEADER_BYTES = 4 * 1024
/**
 * The largest archive sent or accepted, in bytes. A state dir holds an application's data on a home
 * machine; 16 GiB is generous, and a bound stops a broken or hostile peer from filling the disk.
 */
export const MAX_ARCHIVE_BYTES = 16 * 2 ** 30
/** A transfer that makes no progress for this long is abandoned, in ms. */
export const STATE_IDLE_TIMEOUT_MS = 30_000
/** Transfers one node serves at once; more wait for none and are refused (the requester retries). */
export const MAX_CONCURRENT_SENDS = 4
/** Chunk size when sending an archive, in bytes: within yamux's window, large enough to be cheap. */
export const SEND_CHUNK_BYTES = 64 * 1024
/** The folder under the data dir holding every workload's state dir (the supervisor's default). */
export const STATE_ROOT = 'state'
/** A workload name as a state request names it (placement's DNS-label rule). */
export const WORKLOAD_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/
