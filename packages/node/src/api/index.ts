/**
 * The node's local API: HTTP on a unix socket in the data dir (mode 0600) and, with `--api`, on TCP
 * (loopback, or anywhere with a bearer token).
 *
 * - `GET /v1/self`, `GET /v1/members` (self not repeated), `GET /v1/members/:id` (a peer id or a unique
 *   name; a shared name is a 409 listing the candidates)
 * - `GET /v1/events`: NDJSON, one `ApiEvent` per line, a heartbeat every 15 s, closed with an `overflow`
 *   line if the client falls more than MAX_EVENT_BACKLOG events behind
 * - `POST /v1/leave`: answers 202, then the node leaves gracefully and the daemon exits
 * - `GET /metrics`: Prometheus text from the registry (the node's, libp2p's and the API's own)
 *
 * Errors are JSON `{ error, code }` and counted in `dreammesh_api_requests_total{route,status}`.
 *
 * @example
 * ```ts
 * const api = await startApiServer({ socketPath: join(dataDir, API_SOCKET_FILE), source, registry })
 * const self = await ApiClient.forDataDir(dataDir).get<MemberJson>('/v1/self')
 * await api.close()
 * ```
 */
export { startApiServer, type ApiServer, type ApiServerInit, type ApiTcpInit } from './server.js'
export { ApiClient, type ApiClientInit } from './client.js'
export { createMetricsRegistry, instrumentRegistry, type ApiMetrics } from './metrics.js'
export { resolveMember, type Resolution } from './resolve-member.js'
export { ApiClientError, ApiError, ApiServerError } from './errors.js'
export type { ApiErrorBody, ApiEvent, ApiSource, HeartbeatLine, MemberJson, OverflowLine } from './types.js'
export * from './constants.js'
