import type { Libp2p, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { ProtocolError, StreamReader } from '../state-transfer/stream-reader.js'
import { encodeLengthPrefixed } from '../transport/length-prefix.js'
import type { LogStream, RotatingLog } from '../workloads/index.js'
import {
  DEFAULT_TAIL_LINES, LOGS_PROTOCOL, MAX_FOLLOWERS, MAX_FOLLOWERS_PER_PEER, MAX_LOGS_FRAME_BYTES, MAX_LOGS_REQUEST_BYTES,
  MAX_PENDING_LINES, MAX_TAIL_LINES
} from './constants.js'
import { localLogLines, type LogLine, type LogsRequest } from './log-lines.js'

/**
 * Instance logs, readable from any node (docs/protocol/logs.md). The node that ran an instance serves its
 * log files over `/dreammesh/logs/1.0.0`: the tail, then, when asked, new lines as they come. A reader on
 * the same node takes the same path without the dial.
 */

/** What a reader gets: lines, then possibly a note that some were skipped (it read too slowly). */
export type LogItem = LogLine | { skipped: number }

export interface LogServiceInit {
  node: Pick<Libp2p, 'peerId' | 'handle' | 'unhandle' | 'dialProtocol'>
  dataDir: string
  /** The supervisor's live log of an instance running here, for following. */
  liveLog: (workload: string, index: number, stream: LogStream) => RotatingLog | undefined
  onDrop: (reason: string) => void
}

const STREAMS: readonly LogStream[] = ['stdout', 'stderr']
const WORKLOAD_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/
const encoder = new TextEncoder()

export class LogService {
  private followers = 0
  private readonly followersByPeer = new Map<string, number>()

  constructor (private readonly init: LogServiceInit) {}

  /** Followers served now (for metrics and tests). */
  get followerCount (): number {
    return this.followers
  }

  async start (): Promise<void> {
    await this.init.node.handle(LOGS_PROTOCOL, (stream, connection) => {
      this.serve(stream, connection.remotePeer.toString()).catch(() => {})
    }, { maxInboundStreams: MAX_FOLLOWERS_PER_PEER * 2 })
  }

  async stop (): Promise<void> {
    await this.init.node.unhandle(LOGS_PROTOCOL).catch(() => {})
  }

  /** Reads the logs of an instance on `peer` (this node when it is its own id); stops when `signal` aborts. */
  async * read (peer: string, request: LogsRequest, signal: AbortSignal): AsyncGenerator<LogItem> {
    const checked = checkRequest(request)
    if (peer === this.init.node.peerId.toString()) {
      const skippedNotes: number[] = []
      for await (const line of this.local(checked, signal, n => { skippedNotes.push(n) })) {
        while (skippedNotes.length > 0) yield { skipped: skippedNotes.shift() as number }
        yield line
      }
      return
    }
    const stream = await this.init.node.dialProtocol(peerIdFromString(peer), LOGS_PROTOCOL, { signal })
    const onAbort = (): void => { stream.abort(new Error('the reader stopped')) }
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      stream.send(encodeLengthPrefixed(encoder.encode(JSON.stringify({ v: 1, ...checked }))))
      const reader = new StreamReader(stream)
      for (;;) {
        let frame: unknown
        try {
          frame = await reader.readJson(MAX_LOGS_FRAME_BYTES)
        } catch (err) {
          if (signal.aborted) return
          throw err
        }
        const item = frame as { stream?: unknown, line?: unknown, skipped?: unknown, end?: unknown, error?: unknown, code?: unknown }
        if (item.end === true) return
        if (typeof item.error === 'string') throw new Error(`${peer} refused: ${item.error} (${String(item.code)})`)
        if ((item.stream === 'stdout' || item.stream === 'stderr') && typeof item.line === 'string') yield { stream: item.stream, line: item.line }
        else if (Number.isSafeInteger(item.skipped)) yield { skipped: item.skipped as number }
        else throw new ProtocolError('malformed', `${peer} sent a frame that is not a log line`)
      }
    } finally {
      signal.removeEventListener('abort', onAbort)
      await stream.close().catch(() => { stream.abort(new Error('close failed')) })
    }
  }

  private local (request: LogsRequest, signal: AbortSignal, onSkipped: (n: number) => void): AsyncGenerator<LogLine> {
    return localLogLines(this.init.dataDir, request, s => this.init.liveLog(request.workload, request.index, s), signal, MAX_PENDING_LINES, onSkipped)
  }

  private async serve (stream: Stream, peer: string): Promise<void> {
    const done = new AbortController()
    stream.addEventListener('close', () => { done.abort() }, { once: true })
    stream.addEventListener('remoteCloseWrite', () => { done.abort() }, { once: true })
    let counted = false
    try {
      let request: LogsRequest
      try {
        request = checkRequest(await new StreamReader(stream).readJson(MAX_LOGS_REQUEST_BYTES))
      } catch (err) {
        this.init.onDrop(`logs-${err instanceof ProtocolError ? err.code : 'bad-request'}`)
        return await this.answer(stream, { error: (err as Error).message, code: 'bad-request' }, true)
      }
      if (request.follow) {
        const mine = this.followersByPeer.get(peer) ?? 0
        if (this.followers >= MAX_FOLLOWERS || mine >= MAX_FOLLOWERS_PER_PEER) {
          this.init.onDrop('logs-too-many-followers')
          return await this.answer(stream, { error: `this node already serves ${this.followers} followers (${mine} of yours)`, code: 'too-many-followers' }, true)
        }
        this.followers++
        this.followersByPeer.set(peer, mine + 1)
        counted = true
      }
      const skipped: number[] = []
      for await (const line of this.local(request, done.signal, n => { skipped.push(n) })) {
        while (skipped.length > 0) await this.answer(stream, { skipped: skipped.shift() as number })
        await this.answer(stream, line)
        if (done.signal.aborted) return
      }
      await this.answer(stream, { end: true }, true)
    } catch {
      stream.abort(new Error('logs: the reader went away'))
    } finally {
      if (counted) {
        this.followers--
        const left = (this.followersByPeer.get(peer) ?? 1) - 1
        if (left <= 0) this.followersByPeer.delete(peer)
        else this.followersByPeer.set(peer, left)
      }
    }
  }

  /** Sends one frame, waiting for the stream to drain when it asks (a slow reader backs up the follower's queue, which is bounded). */
  private async answer (stream: Stream, frame: object, last = false): Promise<void> {
    if (stream.status !== 'open' || stream.writeStatus !== 'writable') return
    if (!stream.send(encodeLengthPrefixed(encoder.encode(JSON.stringify(frame))))) await stream.onDrain()
    if (last) await stream.close().catch(() => {})
  }
}

/** Checks a request (from a peer or a local caller) and fills its defaults; throws ProtocolError. */
export function checkRequest (value: unknown): LogsRequest {
  const r = value as Partial<LogsRequest> & { v?: unknown } | null
  const bad = (why: string): never => { throw new ProtocolError('bad-request', `a logs request ${why}`) }
  if (typeof r !== 'object' || r === null) return bad('is a JSON object')
  if (r.v !== undefined && r.v !== 1) bad('has version 1')
  if (typeof r.workload !== 'string' || !WORKLOAD_NAME.test(r.workload)) bad('names a workload (a DNS label)')
  if (!Number.isSafeInteger(r.index) || (r.index as number) < 0) bad('has an index, a whole number')
  const streams = r.streams ?? [...STREAMS]
  if (!Array.isArray(streams) || streams.length === 0 || !streams.every(s => STREAMS.includes(s))) bad('asks for streams stdout and/or stderr')
  const tail = r.tail ?? DEFAULT_TAIL_LINES
  if (!Number.isSafeInteger(tail) || tail < 0 || tail > MAX_TAIL_LINES) bad(`asks for a tail of 0 to ${MAX_TAIL_LINES} lines`)
  if (r.follow !== undefined && typeof r.follow !== 'boolean') bad('says follow as true or false')
  return { workload: r.workload as string, index: r.index as number, streams: [...new Set(streams)], tail, follow: r.follow === true }
}
