import { chmod, unlink } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { Registry } from 'prom-client'
import { isLoopbackHost } from './auth.js'
import {
  CLOSE_GRACE_MS, EVENT_HEARTBEAT_INTERVAL_MS, MAX_API_CONNECTIONS, MAX_EVENT_BACKLOG, MAX_EVENT_STREAMS,
  MAX_REQUEST_HEADER_BYTES, MIN_API_TOKEN_CHARS, OVERFLOW_FLUSH_TIMEOUT_MS, REQUEST_RECEIVE_TIMEOUT_MS
} from './constants.js'
import { ApiServerError } from './errors.js'
import type { EventStream } from './event-stream.js'
import { openGuard, tcpGuard, type RequestGuard } from './guard.js'
import { createMetricsRegistry, instrumentRegistry, type ApiMetrics } from './metrics.js'
import { createRequestHandler, type ApiContext } from './routes.js'
import { claimSocketPath } from './socket-file.js'
import type { ApiSource } from './types.js'

export interface ApiTcpInit {
  host: string
  port: number
  /** Required for a host other than loopback; when set, every request must carry `Authorization: Bearer <token>`. */
  token?: string
}

export interface ApiServerInit {
  /** The unix socket to serve on, normally `<dataDir>/api.sock` (API_SOCKET_FILE). */
  socketPath: string
  /** Also serve on TCP. Off the machine only with a token. @default no TCP listener */
  tcp?: ApiTcpInit
  source: ApiSource
  /**
   * Where the API registers its counters and what `/metrics` serves: pass the node's registry, which
   * holds libp2p's metrics and the node's own. Default process metrics are added to it if missing.
   * @default createMetricsRegistry()
   */
  registry?: Registry
  /** Where problems go (a failed leave, an overflowed client). @default console */
  log?: { warn: (message: string) => void }
  /** @default MAX_EVENT_BACKLOG */
  maxEventBacklog?: number
  /** @default EVENT_HEARTBEAT_INTERVAL_MS */
  eventHeartbeatIntervalMs?: number
  /** @default OVERFLOW_FLUSH_TIMEOUT_MS */
  overflowFlushTimeoutMs?: number
  /** @default MAX_EVENT_STREAMS */
  maxEventStreams?: number
}

export interface ApiServer {
  /** `host:port` of the TCP listener (the real port when 0 was asked for), if there is one. */
  readonly tcpAddress?: string
  /** The API's own metrics (also in the registry). */
  readonly metrics: ApiMetrics
  /** Ends event streams, stops listening and removes the socket file. Idempotent. */
  close: () => Promise<void>
}

/**
 * Serves the local API (GET /v1/self, /v1/members, /v1/members/:id, /v1/events, /metrics; POST /v1/leave)
 * on a unix socket of mode 0600 and, if asked, on TCP: loopback without a token, anywhere with one.
 */
export async function startApiServer (init: ApiServerInit): Promise<ApiServer> {
  const tcp = init.tcp
  if (tcp !== undefined) checkTcp(tcp)
  const registry = init.registry ?? createMetricsRegistry()
  const metrics = instrumentRegistry(registry)
  const warn = init.log?.warn.bind(init.log) ?? ((message: string) => { console.warn(message) })
  const ctx: ApiContext = {
    source: init.source,
    registry,
    metrics,
    streams: new Set<EventStream>(),
    maxEventStreams: init.maxEventStreams ?? MAX_EVENT_STREAMS,
    maxEventBacklog: init.maxEventBacklog ?? MAX_EVENT_BACKLOG,
    heartbeatIntervalMs: init.eventHeartbeatIntervalMs ?? EVENT_HEARTBEAT_INTERVAL_MS,
    overflowFlushTimeoutMs: init.overflowFlushTimeoutMs ?? OVERFLOW_FLUSH_TIMEOUT_MS,
    warn
  }

  await claimSocketPath(init.socketPath)
  const unixServer = newServer(ctx, openGuard)
  await listen(unixServer, { path: init.socketPath }, `the API socket ${init.socketPath}`, warn)
  const servers = [unixServer]
  let tcpAddress: string | undefined
  try {
    // listen(2) creates the file with the umask's mode; the data dir is 0700, so the window is closed to others.
    await chmod(init.socketPath, 0o600)
    if (tcp !== undefined) {
      const tcpServer = newServer(ctx, tcpGuard(tcp.token))
      await listen(tcpServer, { host: tcp.host, port: tcp.port }, `TCP ${tcp.host}:${tcp.port}`, warn)
      servers.push(tcpServer)
      const address = tcpServer.address() as AddressInfo
      tcpAddress = address.family === 'IPv6' ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`
    }
  } catch (err) {
    await closeServers(ctx, servers, init.socketPath)
    throw err
  }

  let closing: Promise<void> | undefined
  return {
    ...(tcpAddress === undefined ? {} : { tcpAddress }),
    metrics,
    close: () => (closing ??= closeServers(ctx, servers, init.socketPath))
  }
}

function checkTcp (tcp: ApiTcpInit): void {
  if (tcp.token === undefined && !isLoopbackHost(tcp.host)) {
    throw new ApiServerError(`the API would be reachable off this machine on ${tcp.host}:${tcp.port} without a token: ` +
      'bind it to 127.0.0.1, or set a token (DREAMMESH_API_TOKEN)')
  }
  if (tcp.token !== undefined && tcp.token.length < MIN_API_TOKEN_CHARS) {
    throw new ApiServerError(`the API token is ${tcp.token.length} characters; use at least ${MIN_API_TOKEN_CHARS} (MIN_API_TOKEN_CHARS), e.g. from \`openssl rand -hex 32\``)
  }
}

function newServer (ctx: ApiContext, guard: RequestGuard): Server {
  const server = createServer({
    maxHeaderSize: MAX_REQUEST_HEADER_BYTES,
    requestTimeout: REQUEST_RECEIVE_TIMEOUT_MS,
    headersTimeout: REQUEST_RECEIVE_TIMEOUT_MS
  }, createRequestHandler(ctx, guard))
  server.maxConnections = MAX_API_CONNECTIONS
  // A request Node cannot parse never reaches the handler; it is still answered and counted.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // A client that went away is not a bad request; there is no one to answer.
    if (err.code === 'ECONNRESET' || !socket.writable) return socket.destroy()
    const answer = unparsedAnswer(err)
    ctx.metrics.requests.inc({ route: 'unparsed', status: String(answer.status) })
    const body = JSON.stringify({ error: answer.error, code: answer.code }) + '\n'
    socket.end(`HTTP/1.1 ${answer.status} ${answer.reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
  })
  return server
}

/** The answer to a request Node's parser refused: an oversized head, a timeout, or plain garbage. */
function unparsedAnswer (err: NodeJS.ErrnoException): { status: number, reason: string, code: string, error: string } {
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    return { status: 431, reason: 'Request Header Fields Too Large', code: 'head-too-large', error: `the request head exceeds MAX_REQUEST_HEADER_BYTES (${MAX_REQUEST_HEADER_BYTES} bytes)` }
  }
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return { status: 408, reason: 'Request Timeout', code: 'timeout', error: `the request did not arrive within REQUEST_RECEIVE_TIMEOUT_MS (${REQUEST_RECEIVE_TIMEOUT_MS} ms)` }
  }
  return { status: 400, reason: 'Bad Request', code: 'bad-request', error: `malformed HTTP request (${err.code ?? err.message})` }
}

function listen (server: Server, options: { path: string } | { host: string, port: number }, what: string, warn: (message: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(new ApiServerError(`cannot serve the local API on ${what}: ${err.code === 'EADDRINUSE' ? 'the address is in use' : err.message}`, { cause: err }))
    }
    server.once('error', onError)
    server.listen(options, () => {
      server.off('error', onError)
      // Past listen, an error (say, out of file descriptors on accept) is logged; it must not crash the node.
      server.on('error', err => { warn(`local API on ${what}: ${err.message}`) })
      resolve()
    })
  })
}

async function closeServers (ctx: ApiContext, servers: Server[], socketPath: string): Promise<void> {
  for (const stream of ctx.streams) stream.end()
  await Promise.all(servers.map(server => new Promise<void>(resolve => {
    if (!server.listening) return resolve()
    const cutoff = setTimeout(() => { server.closeAllConnections() }, CLOSE_GRACE_MS)
    server.close(() => {
      clearTimeout(cutoff)
      resolve()
    })
    server.closeIdleConnections()
  })))
  // Node removes the socket file itself on close; this covers a server that failed half-way.
  await unlink(socketPath).catch(() => {})
}
