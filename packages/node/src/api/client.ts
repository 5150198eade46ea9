import { request, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http'
import { dirname, join } from 'node:path'
import {
  API_SOCKET_FILE, CLIENT_EVENTS_IDLE_TIMEOUT_MS, CLIENT_REQUEST_TIMEOUT_MS, MAX_EVENT_LINE_BYTES, MAX_RESPONSE_BYTES
} from './constants.js'
import { ApiClientError, ApiError } from './errors.js'
import { LineTooLongError, ndjsonLines } from './ndjson.js'
import type { ApiEvent } from './types.js'

export interface ApiClientInit {
  /** The node's API socket. Exactly one of `socketPath` and `tcp`. */
  socketPath?: string
  /** The node's TCP API (`dreammesh up --api`). */
  tcp?: { host: string, port: number, token?: string }
  /** The data dir, named in "no node running" errors. @default the socket's directory */
  dataDir?: string
  /** @default CLIENT_REQUEST_TIMEOUT_MS */
  requestTimeoutMs?: number
  /** @default CLIENT_EVENTS_IDLE_TIMEOUT_MS */
  eventsIdleTimeoutMs?: number
  /** @default MAX_RESPONSE_BYTES */
  maxResponseBytes?: number
}

/**
 * Talks to a running node's local API; the CLI's commands use it. Every failure is an `ApiClientError`
 * (no answer: not running, timeout, malformed) or an `ApiError` (the node said no, with its reason).
 *
 * ```ts
 * const client = ApiClient.forDataDir('/var/lib/dreammesh')
 * const self = await client.get<MemberJson>('/v1/self')
 * for await (const event of client.events()) console.log(event.type, event.member.name)
 * ```
 */
export class ApiClient {
  private readonly requestTimeoutMs: number
  private readonly eventsIdleTimeoutMs: number
  private readonly maxResponseBytes: number

  /** A client of the node whose data dir is `dataDir` (its socket is `<dataDir>/api.sock`). */
  static forDataDir (dataDir: string, init: Omit<ApiClientInit, 'socketPath' | 'tcp' | 'dataDir'> = {}): ApiClient {
    return new ApiClient({ ...init, socketPath: join(dataDir, API_SOCKET_FILE), dataDir })
  }

  constructor (private readonly init: ApiClientInit) {
    if ((init.socketPath === undefined) === (init.tcp === undefined)) throw new TypeError('ApiClient takes exactly one of socketPath and tcp')
    this.requestTimeoutMs = init.requestTimeoutMs ?? CLIENT_REQUEST_TIMEOUT_MS
    this.eventsIdleTimeoutMs = init.eventsIdleTimeoutMs ?? CLIENT_EVENTS_IDLE_TIMEOUT_MS
    this.maxResponseBytes = init.maxResponseBytes ?? MAX_RESPONSE_BYTES
  }

  /** GETs `path` and returns its JSON body. */
  async get<T> (path: string): Promise<T> {
    return await this.call('GET', path) as T
  }

  /** POSTs to `path` (with `body` as JSON, if given) and returns its JSON answer. */
  async post<T = unknown> (path: string, body?: unknown): Promise<T> {
    return await this.call('POST', path, body) as T
  }

  /**
   * Follows `/v1/events` until the node ends the stream (it stopped). Heartbeats are consumed here; an
   * `overflow` line (this client fell behind) and a silent stream are errors, since events were lost.
   * `signal` stops following even while waiting for the next event (a plain `return()` would wait for it),
   * and rejects with its reason.
   */
  async * events (options: { signal?: AbortSignal } = {}): AsyncGenerator<ApiEvent> {
    const { signal } = options
    signal?.throwIfAborted()
    const res = await this.open('GET', '/v1/events', this.requestTimeoutMs)
    if (res.statusCode !== 200) throw await this.httpError(res)
    let idle: NodeJS.Timeout | undefined
    const arm = (): void => {
      clearTimeout(idle)
      idle = setTimeout(() => {
        res.destroy(new ApiClientError('timeout', `the event stream from ${this.where()} was silent for ${this.eventsIdleTimeoutMs} ms (CLIENT_EVENTS_IDLE_TIMEOUT_MS): the node is stuck or gone`))
      }, this.eventsIdleTimeoutMs)
    }
    const onAbort = (): void => { res.destroy(signal?.reason as Error) }
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      signal?.throwIfAborted()
      arm()
      for await (const text of ndjsonLines(res, MAX_EVENT_LINE_BYTES)) {
        arm()
        const line = parseJson(text, `an event line from ${this.where()}`)
        if (typeof line !== 'object' || line === null || typeof (line as { type?: unknown }).type !== 'string') {
          throw new ApiClientError('malformed', `the node sent an event line without a type: ${text.slice(0, 200)}`)
        }
        const { type } = line as { type: string }
        if (type === 'heartbeat') continue
        if (type === 'overflow') {
          throw new ApiClientError('overflow', 'this client fell too far behind the node\'s events and was cut off; some events were missed')
        }
        yield line as ApiEvent
      }
    } catch (err) {
      if (signal?.aborted === true) throw signal.reason
      if (err instanceof ApiClientError) throw err
      if (err instanceof LineTooLongError) throw new ApiClientError('malformed', `${err.message} (MAX_EVENT_LINE_BYTES): not an event stream`)
      throw this.transportError(err)
    } finally {
      signal?.removeEventListener('abort', onAbort)
      clearTimeout(idle)
      res.destroy()
    }
  }

  /**
   * GETs an NDJSON stream (such as `/v1/workloads/W/logs?follow=1`) and yields each line parsed, until the
   * node ends it or `signal` aborts (which ends the iteration quietly). No idle timeout: a followed log may
   * be quiet for hours.
   */
  async * lines (path: string, options: { signal?: AbortSignal, maxLineBytes?: number } = {}): AsyncGenerator<unknown> {
    const { signal } = options
    const res = await this.open('GET', path, this.requestTimeoutMs, undefined, true)
    if (res.statusCode !== 200) throw await this.httpError(res)
    const onAbort = (): void => { res.destroy() }
    signal?.addEventListener('abort', onAbort, { once: true })
    // Aborted while the node was still finding the stream (a logs search can take seconds): end now.
    if (signal?.aborted === true) onAbort()
    try {
      for await (const text of ndjsonLines(res, options.maxLineBytes ?? MAX_EVENT_LINE_BYTES)) {
        yield parseJson(text, `a line from ${this.where()}`)
      }
    } catch (err) {
      if (signal?.aborted === true) return
      if (err instanceof ApiClientError) throw err
      if (err instanceof LineTooLongError) throw new ApiClientError('malformed', err.message)
      throw this.transportError(err)
    } finally {
      signal?.removeEventListener('abort', onAbort)
      res.destroy()
    }
  }

  private async call (method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const res = await this.open(method, path, this.requestTimeoutMs, body === undefined ? undefined : Buffer.from(JSON.stringify(body)))
    if (res.statusCode === undefined || res.statusCode >= 400) throw await this.httpError(res)
    return parseJson(await this.readBody(res), `the answer to ${method} ${path}`)
  }

  /** Sends a request and resolves with the response head; the timeout covers the whole exchange. */
  private open (method: string, path: string, timeoutMs: number, body?: Buffer, streaming = false): Promise<IncomingMessage> {
    const headers: OutgoingHttpHeaders = { Accept: 'application/json' }
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json'
      headers['Content-Length'] = body.byteLength
    }
    if (this.init.tcp?.token !== undefined) headers.Authorization = `Bearer ${this.init.tcp.token}`
    const target = this.init.socketPath !== undefined
      ? { socketPath: this.init.socketPath }
      : { host: this.init.tcp?.host, port: this.init.tcp?.port }
    return new Promise((resolve, reject) => {
      const req = request({ ...target, method, path, headers })
      let response: IncomingMessage | undefined
      const timer = setTimeout(() => {
        const err = new ApiClientError('timeout', `${this.where()} did not answer ${method} ${path} within ${timeoutMs} ms (CLIENT_REQUEST_TIMEOUT_MS)`)
        if (response === undefined) req.destroy(err)
        else response.destroy(err)
      }, timeoutMs)
      req.once('response', res => {
        response = res
        // A whole answer must also arrive in time; a stream only needs its head to.
        if (path === '/v1/events' || streaming) clearTimeout(timer)
        else res.once('close', () => { clearTimeout(timer) })
        resolve(res)
      })
      req.once('error', err => {
        clearTimeout(timer)
        reject(err instanceof ApiClientError ? err : this.transportError(err))
      })
      req.end(body)
    })
  }

  private async readBody (res: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = []
    let bytes = 0
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        bytes += chunk.length
        if (bytes > this.maxResponseBytes) {
          res.destroy()
          throw new ApiClientError('malformed', `the answer from ${this.where()} exceeds ${this.maxResponseBytes} bytes (MAX_RESPONSE_BYTES)`)
        }
        chunks.push(chunk)
      }
    } catch (err) {
      throw err instanceof ApiClientError ? err : this.transportError(err)
    }
    return Buffer.concat(chunks).toString('utf8')
  }

  private async httpError (res: IncomingMessage): Promise<ApiError> {
    const status = res.statusCode ?? 0
    const text = await this.readBody(res)
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      return new ApiError(status, 'http', `the node answered HTTP ${status}: ${text.slice(0, 200) || res.statusMessage}`, text)
    }
    const { error, code } = (body ?? {}) as { error?: unknown, code?: unknown }
    const message = typeof error === 'string' ? error : `the node answered HTTP ${status}`
    return new ApiError(status, typeof code === 'string' ? code : 'http', message, body)
  }

  /** A socket-level failure, said in terms of the node: not running, not ours, gone mid-answer. */
  private transportError (err: unknown): ApiClientError {
    const code = (err as NodeJS.ErrnoException).code
    const socketPath = this.init.socketPath
    if (socketPath !== undefined && (code === 'ENOENT' || code === 'ECONNREFUSED')) {
      const dataDir = this.init.dataDir ?? dirname(socketPath)
      return new ApiClientError('not-running', `no dreammesh node is running with data dir ${dataDir}; start one with \`dreammesh up\``, { cause: err })
    }
    if (code === 'ECONNREFUSED') return new ApiClientError('not-running', `nothing serves the dreammesh API at ${this.where()}`, { cause: err })
    if (code === 'EACCES' || code === 'EPERM') {
      return new ApiClientError('permission', `permission denied on ${this.where()}: the node runs as another user; run this as that user`, { cause: err })
    }
    if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (err as Error).message === 'aborted') {
      return new ApiClientError('unreachable', `${this.where()} closed the connection mid-answer (is the node stopping?)`, { cause: err })
    }
    return new ApiClientError('unreachable', `cannot talk to the node at ${this.where()}: ${(err as Error).message}`, { cause: err })
  }

  private where (): string {
    return this.init.socketPath ?? `${this.init.tcp?.host}:${this.init.tcp?.port}`
  }
}

function parseJson (text: string, what: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw new ApiClientError('malformed', `${what} is not JSON: ${text.slice(0, 200)}`)
  }
}
