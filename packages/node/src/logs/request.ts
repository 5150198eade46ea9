import { ProtocolError } from '../state-transfer/stream-reader.js'
import type { LogStream } from '../workloads/index.js'
import { DEFAULT_TAIL_LINES, MAX_TAIL_LINES } from './constants.js'

/** What a reader asks for (docs/protocol/logs.md, `request`). */
export interface LogsRequest {
  workload: string
  index: number
  streams: LogStream[]
  /** Lines of history per stream, before following. */
  tail: number
  follow: boolean
}

/** One line of an instance's output, as the logs protocol and the API carry it. */
export interface LogLine { stream: LogStream, line: string }

/** What a reader gets: lines, then possibly a note that some were skipped (it read too slowly). */
export type LogItem = LogLine | { skipped: number }

/** Why a node did not serve a read; stable, for the API and the CLI. */
export type LogsRefusal = 'bad-request' | 'unknown-instance' | 'too-many-followers'

/** A node answered a read with an `error` frame (or, locally, the same refusal without a dial). */
export class LogsRefusedError extends Error {
  constructor (readonly code: LogsRefusal, message: string) {
    super(message)
    this.name = 'LogsRefusedError'
  }
}

const STREAMS: readonly LogStream[] = ['stdout', 'stderr']
/** A workload name is a DNS label (the workloads spec's rule): it can never name a path outside the logs dir. */
const WORKLOAD_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/

/** Checks a request (from a peer or a local caller) and fills its defaults; throws ProtocolError('bad-request'). */
export function checkRequest (value: unknown): LogsRequest {
  const r = value as Partial<LogsRequest> & { v?: unknown } | null
  const bad = (why: string): never => { throw new ProtocolError('bad-request', `a logs request ${why}`) }
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return bad('is a JSON object')
  if (r.v !== undefined && r.v !== 1) bad('has version 1')
  if (typeof r.workload !== 'string' || !WORKLOAD_NAME.test(r.workload)) bad('names a workload (a DNS label)')
  if (!Number.isSafeInteger(r.index) || (r.index as number) < 0) bad('has an index, a whole number')
  const streams = r.streams ?? [...STREAMS]
  if (!Array.isArray(streams) || streams.length === 0 || streams.length > STREAMS.length * 2 || !streams.every(s => STREAMS.includes(s))) {
    bad('asks for streams stdout and/or stderr')
  }
  const tail = r.tail ?? DEFAULT_TAIL_LINES
  if (!Number.isSafeInteger(tail) || tail < 0 || tail > MAX_TAIL_LINES) bad(`asks for a tail of 0 to ${MAX_TAIL_LINES} lines`)
  if (r.follow !== undefined && typeof r.follow !== 'boolean') bad('says follow as true or false')
  return { workload: r.workload as string, index: r.index as number, streams: [...new Set(streams)], tail, follow: r.follow === true }
}

/** `web#0`: how the CLI and messages name an instance. */
export function instanceName (request: Pick<LogsRequest, 'workload' | 'index'>): string {
  return `${request.workload}#${request.index}`
}
