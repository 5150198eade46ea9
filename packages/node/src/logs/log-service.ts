import type { Libp2p, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { ProtocolError } from '../state-transfer/stream-reader.js'
import { encodeLengthPrefixed } from '../transport/length-prefix.js'
import type { LogStream, RotatingLog } from '../workloads/index.js'
import {
  LOGS_OPEN_TIMEOUT_MS, LOGS_PROTOCOL, LOGS_REQUEST_TIMEOUT_MS, MAX_FOLLOWERS, MAX_FOLLOWERS_PER_PEER, MAX_LOGS_FRAME_BYTES,
  MAX_LOGS_REQUEST_BYTES, READER_HIGH_WATER_BYTES
} from './constants.js'
import { FrameReader } from './frame-reader.js'
import { openLocalLogs, type LocalReadBounds, type LogReading } from './log-lines.js'
import { checkRequest, LogsRefusedError, type LogItem, type LogsRefusal, type LogsRequest } from './request.js'

/**
 * Instance logs, readable from any node (docs/protocol/logs.md). The node that ran an instance serves its
 * log files over `/dreammesh/logs/1.0.0`: an `open` frame (or an error), the tail, then, when asked, new lines
 * as they come. A reader on the same node takes the same path without the dial.
 */

export interface LogServiceInit {
  node: Pick<Libp2p, 'peerId' | 'handle' | 'unhandle' | 'dialProtocol'>
  /** The node's data dir; the supervisor writes logs to `<dataDir>/logs`. */
  dataDir: string
  /** The supervisor's live log of an instance running here, for following; undefined when none runs. */
  liveLog: (workload: string, index: number, stream: LogStream) => RotatingLog | undefined
  /**
   * A request was refused, or a reader fell behind and lines were skipped: `logs-oversized`, `logs-malformed`,
   * `logs-truncated`, `logs-timeout`, `logs-bad-request`, `logs-too-many-followers`, `logs-reader-behind`.
   */
  onDrop: (reason: string) => void
  /** @default MAX_FOLLOWERS */
  maxFollowers?: number
  /** @default MAX_FOLLOWERS_PER_PEER */
  maxFollowersPerPeer?: number
  /** A peer's time to send its request, in ms. @default LOGS_REQUEST_TIMEOUT_MS */
  requestTimeoutMs?: number
  /** A reader's wait for a node's `open` frame, in ms. @default LOGS_OPEN_TIMEOUT_MS */
  openTimeoutMs?: number
  /** Queue and tail bounds of each read (log-lines.ts). */
  bounds?: LocalReadBounds
}

/** Readers on this node itself count as this one peer against the follower bounds. */
const LOCAL_READER = 'local'
const encoder = new TextEncoder()

export class LogService {
  private followers = 0
  private readonly followersByPeer = new Map<string, number>()
  private readonly maxFollowers: number
  private readonly maxFollowersPerPeer: number

  constructor (private readonly init: LogServiceInit) {
    this.maxFollowers = init.maxFollowers ?? MAX_FOLLOWERS
    this.maxFollowersPerPeer = init.maxFollowersPerPeer ?? MAX_FOLLOWERS_PER_PEER
  }

  /** Followers served now, remote and local (for metrics and tests). */
  get followerCount (): number {
    return this.followers
  }

  async start (): Promise<void> {
    await this.init.node.handle(LOGS_PROTOCOL, (stream, connection) => {
      this.serve(stream, connection.remotePeer.toString()).catch(() => {})
    }, { maxInboundStreams: this.maxFollowersPerPeer * 2 })
  }

  async stop (): Promise<void> {
    await this.init.node.unhandle(LOGS_PROTOCOL).catch(() => {})
  }

  /**
   * Opens a read of an instance's logs kept on `peer` (this node when it is its own id): resolves once the
   * node accepted it, with its items; rejects with LogsRefusedError (`unknown-instance`, `too-many-followers`,
   * `bad-request`) or a transport error. The caller iterates the items to their end or aborts `signal`,
   * which frees the read either way. `openTimeoutMs` bounds the wait for the node's acceptance only.
   */
  async open (peer: string, request: LogsRequest, signal: AbortSignal, openTimeoutMs = this.init.openTimeoutMs ?? LOGS_OPEN_TIMEOUT_MS): Promise<LogReading> {
    let checked: LogsRequest
    try {
      checked = checkRequest(request)
    } catch (err) {
      throw new LogsRefusedError('bad-request', (err as Error).message)
    }
    if (peer === this.init.node.peerId.toString()) return this.openHere(checked, LOCAL_READER, signal)
    return await this.openRemote(peer, checked, signal, openTimeoutMs)
  }

  /** The items of `open`, as one iteration: for callers that need not know when the read was accepted. */
  async * read (peer: string, request: LogsRequest, signal: AbortSignal): AsyncGenerator<LogItem> {
    yield * (await this.open(peer, request, signal)).items
  }

  /** A read on this node: the follower slot is taken now and given back when the items end or `signal` aborts. */
  private openHere (request: LogsRequest, peer: string, signal: AbortSignal): LogReading {
    const release = request.follow ? this.takeFollower(peer) : () => {}
    try {
      signal.addEventListener('abort', release, { once: true })
      const reading = openLocalLogs(this.init.dataDir, request, s => this.init.liveLog(request.workload, request.index, s), signal,
        () => { this.init.onDrop('logs-reader-behind') }, this.init.bounds)
      return { running: reading.running, items: releasing(reading.items, release, signal) }
    } catch (err) {
      release()
      throw err
    }
  }

  private async openRemote (peer: string, request: LogsRequest, signal: AbortSignal, openTimeoutMs: number): Promise<LogReading> {
    const opening = AbortSignal.any([signal, AbortSignal.timeout(openTimeoutMs)])
    const stream = await this.init.node.dialProtocol(peerIdFromString(peer), LOGS_PROTOCOL, { signal: opening })
    const reader = new FrameReader(stream, MAX_LOGS_FRAME_BYTES, READER_HIGH_WATER_BYTES)
    const onAbort = (): void => { stream.abort(new Error('the reader stopped')) }
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      stream.send(encodeLengthPrefixed(encoder.encode(JSON.stringify({ v: 1, ...request }))))
      const first = await reader.next(opening) as { open?: unknown, running?: unknown, error?: unknown, code?: unknown } | undefined
      if (first === undefined) throw new ProtocolError('truncated', `${peer} closed the stream before answering`)
      refusal(first)
      if (first.open !== true) throw new ProtocolError('malformed', `${peer} answered with something other than an open frame`)
      return { running: first.running === true, items: remoteItems(stream, reader, signal, onAbort) }
    } catch (err) {
      signal.removeEventListener('abort', onAbort)
      reader.release()
      stream.abort(err as Error)
      if (err instanceof ProtocolError && err.code === 'timeout' && !signal.aborted) {
        throw new ProtocolError('timeout', `${peer} did not answer within ${openTimeoutMs} ms`)
      }
      throw err
    }
  }

  /** Serves one read to `peer`; never throws out (the handler's caller swallows the rest). */
  private async serve (stream: Stream, peer: string): Promise<void> {
    // The reader resets (or fully closes) the stream to stop; a half-close ends a follow after the tail.
    const gone = new AbortController()
    const stopFollowing = new AbortController()
    stream.addEventListener('close', () => { gone.abort(); stopFollowing.abort() }, { once: true })
    stream.addEventListener('remoteCloseWrite', () => { stopFollowing.abort() }, { once: true })
    const request = await this.readRequest(stream)
    if (request === undefined) return
    let reading: LogReading
    try {
      reading = this.openHere(request, peer, stopFollowing.signal)
    } catch (err) {
      if (!(err instanceof LogsRefusedError)) {
        stream.abort(err as Error)
        return
      }
      if (err.code === 'too-many-followers') this.init.onDrop('logs-too-many-followers')
      return await this.answer(stream, { error: err.message, code: err.code }, true)
    }
    try {
      await this.answer(stream, { open: true, running: reading.running })
      for await (const item of reading.items) {
        if (gone.signal.aborted) break
        await this.answer(stream, item)
      }
      if (!gone.signal.aborted) await this.answer(stream, { end: true }, true)
    } catch {
      stream.abort(new Error('logs: the reader went away'))
    } finally {
      // Ends the follow and frees its slot, whatever stopped the loop.
      stopFollowing.abort()
    }
  }

  /** The request, checked; or undefined after answering (or resetting) a bad one, counted. */
  private async readRequest (stream: Stream): Promise<LogsRequest | undefined> {
    const reader = new FrameReader(stream, MAX_LOGS_REQUEST_BYTES, MAX_LOGS_REQUEST_BYTES)
    try {
      const raw = await reader.next(AbortSignal.timeout(this.init.requestTimeoutMs ?? LOGS_REQUEST_TIMEOUT_MS))
      if (raw === undefined) throw new ProtocolError('truncated', 'the stream ended before a request')
      return checkRequest(raw)
    } catch (err) {
      const code = err instanceof ProtocolError ? err.code : 'bad-request'
      this.init.onDrop(`logs-${code}`)
      // Nobody is there to read an answer to a request that never came.
      if (code === 'timeout' || code === 'truncated') stream.abort(new Error(`logs: ${(err as Error).message}`))
      else await this.answer(stream, { error: (err as Error).message, code: 'bad-request' }, true)
      return undefined
    } finally {
      reader.release()
    }
  }

  /** Takes a follower slot for `peer`; returns the function that gives it back (once). */
  private takeFollower (peer: string): () => void {
    const mine = this.followersByPeer.get(peer) ?? 0
    if (this.followers >= this.maxFollowers || mine >= this.maxFollowersPerPeer) {
      throw new LogsRefusedError('too-many-followers', `this node already serves ${this.followers} followers (${mine} for this reader)`)
    }
    this.followers++
    this.followersByPeer.set(peer, mine + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      this.followers--
      const left = (this.followersByPeer.get(peer) ?? 1) - 1
      if (left <= 0) this.followersByPeer.delete(peer)
      else this.followersByPeer.set(peer, left)
    }
  }

  /** Sends one frame, waiting for the stream to drain when it asks: a slow reader backs up the bounded follower queue. */
  private async answer (stream: Stream, frame: object, last = false): Promise<void> {
    if (stream.status !== 'open' || stream.writeStatus !== 'writable') return
    if (!stream.send(encodeLengthPrefixed(encoder.encode(JSON.stringify(frame))))) await stream.onDrain()
    if (last) await stream.close().catch(() => { stream.abort(new Error('logs: close failed')) })
  }
}

/** Throws the refusal an `error` frame carries. */
function refusal (frame: { error?: unknown, code?: unknown }): void {
  if (typeof frame.error !== 'string') return
  const known: readonly unknown[] = ['bad-request', 'unknown-instance', 'too-many-followers'] satisfies LogsRefusal[]
  // A code from a newer node is still a refusal; its text says what it is.
  throw new LogsRefusedError(known.includes(frame.code) ? frame.code as LogsRefusal : 'bad-request', frame.error)
}

/** A remote read's items: lines and skip notes, up to the `end` frame; stops quietly when `signal` aborts. */
async function * remoteItems (stream: Stream, reader: FrameReader, signal: AbortSignal, onAbort: () => void): AsyncGenerator<LogItem> {
  let ended = false
  try {
    for (;;) {
      let frame: { stream?: unknown, line?: unknown, skipped?: unknown, end?: unknown, error?: unknown, code?: unknown } | undefined
      try {
        frame = await reader.next() as typeof frame
      } catch (err) {
        if (signal.aborted) return
        throw err
      }
      if (frame === undefined) {
        if (signal.aborted) return
        throw new ProtocolError('truncated', 'the node closed the stream before the end frame')
      }
      if (frame.end === true) { ended = true; return }
      refusal(frame)
      if ((frame.stream === 'stdout' || frame.stream === 'stderr') && typeof frame.line === 'string') yield { stream: frame.stream, line: frame.line }
      else if (Number.isSafeInteger(frame.skipped) && (frame.skipped as number) > 0) yield { skipped: frame.skipped as number }
      else throw new ProtocolError('malformed', 'the node sent a frame that is not a log line')
    }
  } finally {
    signal.removeEventListener('abort', onAbort)
    reader.release()
    if (ended) await stream.close().catch(() => { stream.abort(new Error('close failed')) })
    else stream.abort(new Error('the reader stopped'))
  }
}

/** `items`, calling `release` when they end, fail or are abandoned (also when `signal` aborts first). */
async function * releasing (items: AsyncGenerator<LogItem>, release: () => void, signal: AbortSignal): AsyncGenerator<LogItem> {
  try {
    yield * items
  } finally {
    signal.removeEventListener('abort', release)
    release()
  }
}
