/**
 * Names and bounds of the local API (ARCHITECTURE.md rule 8: a named bound on every queue, size and
 * timeout, units last).
 */

/** The API's unix socket, in the node's data dir. */
export const API_SOCKET_FILE = 'api.sock'

/** The environment variable that carries the TCP API's bearer token to `dreammesh up`. */
export const API_TOKEN_ENV = 'DREAMMESH_API_TOKEN'

/**
 * A unix socket path's longest length, in bytes: `sun_path` is 108 bytes on Linux, one of them the NUL.
 * A longer path fails deep inside listen(2) with a message that does not say why.
 */
export const MAX_UNIX_SOCKET_PATH_BYTES = 107

/** How long a stale-socket check waits for whoever may own an existing socket file to accept, in ms. */
export const SOCKET_PROBE_TIMEOUT_MS = 1_000

/**
 * A token shorter than this is refused, in characters: the token is the only thing guarding a TCP API that
 * is reachable off the machine, so it must not be guessable.
 */
export const MIN_API_TOKEN_CHARS = 16

/** Heartbeat period of `/v1/events`, in ms; the issue fixes it at 15 s. */
export const EVENT_HEARTBEAT_INTERVAL_MS = 15_000

/**
 * Events one `/v1/events` client may fall behind by before it is cut off. A client that misses events has
 * a wrong view of the cluster with no way to know it, so instead of dropping events silently the stream
 * ends with an `overflow` line: the client re-reads `/v1/members` and subscribes again. This also bounds
 * the memory one stuck client can pin.
 */
export const MAX_EVENT_BACKLOG = 1_024

/** Once an overflowed client has this long to take its last lines before its connection is destroyed, in ms. */
export const OVERFLOW_FLUSH_TIMEOUT_MS = 5_000

/** Concurrent `/v1/events` streams; more get 503. Each one is a subscription on the node. */
export const MAX_EVENT_STREAMS = 64

/** Concurrent connections per listener; beyond it the kernel's backlog holds them. */
export const MAX_API_CONNECTIONS = 128

/**
 * The largest request body, in bytes: a workload spec (`POST /v1/workloads`, bounded at 64 KiB in the
 * desired state). Anything larger is refused before it is read into memory.
 */
export const MAX_REQUEST_BODY_BYTES = 64 * 1024

/** The largest request head (request line and headers), in bytes; Node's default is 16 KiB. */
export const MAX_REQUEST_HEADER_BYTES = 8_192

/** How long a client has to send a whole request, in ms (it does not limit event streams). */
export const REQUEST_RECEIVE_TIMEOUT_MS = 10_000

/** How long `close()` waits for answers in flight before it cuts their connections, in ms. */
export const CLOSE_GRACE_MS = 2_000

/** How long the client waits for a whole answer (not an event stream), in ms. */
export const CLIENT_REQUEST_TIMEOUT_MS = 10_000

/**
 * How long an event stream may stay silent before the client gives up on it, in ms: three missed
 * heartbeats, so one late timer on a busy node is not mistaken for a dead one.
 */
export const CLIENT_EVENTS_IDLE_TIMEOUT_MS = 3 * EVENT_HEARTBEAT_INTERVAL_MS

/**
 * The largest answer the client reads, in bytes. `/v1/members` of a 10,000-node cluster with resources is
 * about 10 MiB; this is headroom over that, not a target.
 */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024

/** The longest NDJSON line the client accepts from `/v1/events`, in bytes. One event is about 1 KiB. */
export const MAX_EVENT_LINE_BYTES = 1024 * 1024
