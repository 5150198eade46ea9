/**
 * Bounds and names of the desired-state document (docs/protocol/desired-state.md). Every bound is a default:
 * the store and the sync take overrides in their init objects.
 */

/** The libp2p protocol id of the document's sync. The version moves only for a wire change, not for new fields. */
export const DESIRED_STATE_PROTOCOL = '/dreammesh/desired-state/1.0.0'

/** The folder in the data dir that holds the document's files. */
export const DESIRED_STATE_DIR = 'desired-state'
/** The last compacted state of the whole document: one record. */
export const SNAPSHOT_FILE = 'snapshot.bin'
/** Yjs updates appended since the snapshot, one record each. */
export const UPDATE_LOG_FILE = 'updates.log'

/**
 * The largest document, in bytes of its encoded state. A home cluster's desired state is a few hundred
 * workload specs of about a kilobyte; 8 MiB leaves room for that many times over and still fits a full sync
 * in one message and one queue.
 */
export const MAX_DOCUMENT_BYTES = 8 * 1024 * 1024
/** The largest workload spec, in bytes of its JSON. A spec names an image, a command, limits: not data. */
export const MAX_WORKLOAD_SPEC_BYTES = 64 * 1024
/** The longest workload name, in UTF-8 bytes: it becomes a key, a label and a log field. */
export const MAX_WORKLOAD_NAME_BYTES = 128
/** Nesting depth of a spec's JSON: deep enough for any spec, shallow enough to never blow a stack. */
export const MAX_SPEC_DEPTH = 32
/** The longest reason given for denying a peer, in UTF-8 bytes: a sentence for a person. */
export const MAX_DENY_REASON_BYTES = 1024
/**
 * The most lease voters. Majority quorums need an odd handful of servers; more voters only slow every
 * ballot down.
 */
export const MAX_VOTERS = 15
/**
 * The update log's size that triggers compaction, in bytes. Loading replays the log, so it is kept small
 * compared with the document; compaction costs one snapshot write.
 */
export const MAX_LOG_BYTES = 1024 * 1024
/**
 * Bytes of one record on disk that a reader accepts. A record holds one Yjs update, and no update may exceed
 * the document; twice that covers an update re-encoded by Yjs a little larger than it arrived.
 */
export const MAX_RECORD_BYTES = 2 * MAX_DOCUMENT_BYTES
/**
 * Bytes of updates waiting for their fsync before the sync stops reading from peers (backpressure): a fast
 * peer cannot make a slow disk hold an unbounded queue in memory.
 */
export const MAX_PENDING_WRITE_BYTES = 8 * 1024 * 1024

/** Header bytes of a sync message (version, kind) and of a reply's state-vector length. */
export const SYNC_HEADER_BYTES = 2 + 4
/** The largest sync message, in bytes: a full-sync reply holds at most the whole document. */
export const MAX_SYNC_MESSAGE_BYTES = MAX_DOCUMENT_BYTES + 64 * 1024
/** Messages queued to one peer before its stream is reset and a full sync redone. */
export const MAX_QUEUED_SYNC_MESSAGES = 1024
/** Bytes queued to one peer before its stream is reset: one full-sync reply plus incremental updates. */
export const MAX_QUEUED_SYNC_BYTES = MAX_SYNC_MESSAGE_BYTES + 4 * 1024 * 1024
/** The longest a sync stream may take to open, in ms. */
export const SYNC_OPEN_TIMEOUT_MS = 5_000
/** Inbound sync streams one peer may hold open; a peer needs one, a reconnecting one briefly two. */
export const MAX_INBOUND_SYNC_STREAMS = 4
/** Outbound sync streams to one peer; the sync keeps one. */
export const MAX_OUTBOUND_SYNC_STREAMS = 4
/**
 * The first wait before a broken or refused sync stream is opened again, in ms; doubled on each consecutive
 * failure up to `MAX_RESYNC_DELAY_MS`, and reset when a full sync completes.
 */
export const RESYNC_DELAY_MS = 500
/** The longest wait between two attempts to resync with a connected peer, in ms. */
export const MAX_RESYNC_DELAY_MS = 30_000
