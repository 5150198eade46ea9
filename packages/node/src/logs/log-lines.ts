import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { LogStream, RotatingLog } from '../workloads/index.js'
import { FOLLOW_RECHECK_MS, MAX_LINE_CHARS, MAX_PENDING_BYTES, MAX_PENDING_LINES, MAX_TAIL_BYTES } from './constants.js'
import { instanceName, LogsRefusedError, type LogItem, type LogLine, type LogsRequest } from './request.js'
import { cutLine, readTail } from './tail.js'

/** Where the supervisor writes an instance's log files (workloads/instance.ts names them so). */
export function logPathOf (dataDir: string, workload: string, index: number, stream: LogStream): string {
  return join(dataDir, 'logs', `${workload}-${index}.${stream}.log`)
}

/** Bounds of one local read; each has a default from constants.ts. */
export interface LocalReadBounds {
  /** @default MAX_PENDING_LINES */
  maxPendingLines?: number
  /** @default MAX_PENDING_BYTES */
  maxPendingBytes?: number
  /** @default MAX_TAIL_BYTES */
  maxTailBytes?: number
  /** @default FOLLOW_RECHECK_MS */
  followRecheckMs?: number
}

/** An accepted read: whether the instance runs here now (so `follow` will follow), and its items. */
export interface LogReading {
  running: boolean
  items: AsyncGenerator<LogItem>
}

/**
 * Opens a read of an instance's logs on this node: the last `tail` lines of each stream (from disk, so an
 * ended instance's logs are still there), then, with `follow` and while it runs here, every new line until
 * `signal` aborts. `liveLog` gives the supervisor's RotatingLog of a running instance (undefined when it does
 * not run here). Throws LogsRefusedError('unknown-instance') when this node has no trace of the instance.
 *
 * A follower that reads slower than the instance writes has at most the pending bounds queued for it; past
 * them lines are dropped and an item `{ skipped: N }` takes their place, in order. `onSkipped` counts them.
 */
export function openLocalLogs (
  dataDir: string,
  request: LogsRequest,
  liveLog: (stream: LogStream) => RotatingLog | undefined,
  signal: AbortSignal,
  onSkipped: (n: number) => void,
  bounds: LocalReadBounds = {}
): LogReading {
  const paths = (['stdout', 'stderr'] as const).map(s => logPathOf(dataDir, request.workload, request.index, s))
  const running = request.streams.some(s => liveLog(s) !== undefined)
  if (!running && !paths.some(p => existsSync(p) || existsSync(`${p}.1`))) {
    throw new LogsRefusedError('unknown-instance', `this node keeps no logs of ${instanceName(request)}`)
  }
  return { running, items: logItems(dataDir, request, liveLog, signal, onSkipped, bounds) }
}

async function * logItems (
  dataDir: string,
  request: LogsRequest,
  liveLog: (stream: LogStream) => RotatingLog | undefined,
  signal: AbortSignal,
  onSkipped: (n: number) => void,
  bounds: LocalReadBounds
): AsyncGenerator<LogItem> {
  const pending = new PendingLines(bounds.maxPendingLines ?? MAX_PENDING_LINES, bounds.maxPendingBytes ?? MAX_PENDING_BYTES)
  const unfollow: Array<() => void> = []
  const followed = new Map<LogStream, RotatingLog>()
  // Subscribe before reading the tail, so no line falls between the two (a line may then appear twice).
  if (request.follow) {
    for (const stream of request.streams) {
      const log = liveLog(stream)
      if (log === undefined) continue
      followed.set(stream, log)
      unfollow.push(log.follow(line => { for (const piece of cutLine(line, MAX_LINE_CHARS)) pending.push({ stream, line: piece }) }))
    }
  }
  try {
    for (const stream of request.streams) {
      const lines = readTail(logPathOf(dataDir, request.workload, request.index, stream), request.tail, bounds.maxTailBytes ?? MAX_TAIL_BYTES, MAX_LINE_CHARS)
      for (const line of lines) yield { stream, line }
    }
    if (followed.size === 0) return
    const aborted = new Promise<void>(resolve => { signal.addEventListener('abort', () => { resolve() }, { once: true }) })
    // The instance may end (or be replaced by a new one): then its log no longer grows, and following ends.
    const ended = (): boolean => [...followed].every(([stream, log]) => liveLog(stream) !== log)
    const recheckMs = bounds.followRecheckMs ?? FOLLOW_RECHECK_MS
    while (!signal.aborted) {
      const next = pending.shift()
      if (next !== undefined) {
        if ('skipped' in next) onSkipped(next.skipped)
        yield next
        continue
      }
      if (ended()) return
      let timer: NodeJS.Timeout | undefined
      const recheck = new Promise<void>(resolve => { timer = setTimeout(resolve, recheckMs) })
      await Promise.race([pending.arrival(), aborted, recheck])
      clearTimeout(timer)
    }
  } finally {
    for (const off of unfollow) off()
  }
}

/**
 * Lines waiting for a follower, within a count and a byte bound. A line that does not fit is dropped and
 * counted in a `{ skipped }` marker at the end of the queue (outside the bound), so the reader learns where
 * the gap is.
 */
export class PendingLines {
  private readonly items: LogItem[] = []
  private lines = 0
  private bytes = 0
  private wake: (() => void) | undefined

  constructor (private readonly maxLines: number, private readonly maxBytes: number) {}

  push (line: LogLine): void {
    const size = Buffer.byteLength(line.line)
    if (this.lines >= this.maxLines || this.bytes + size > this.maxBytes) {
      const last = this.items[this.items.length - 1]
      if (last !== undefined && 'skipped' in last) last.skipped++
      else this.items.push({ skipped: 1 })
    } else {
      this.items.push(line)
      this.lines++
      this.bytes += size
    }
    this.wake?.()
  }

  shift (): LogItem | undefined {
    const item = this.items.shift()
    if (item !== undefined && 'line' in item) {
      this.lines--
      this.bytes -= Buffer.byteLength(item.line)
    }
    return item
  }

  /** Resolves at the next push. */
  async arrival (): Promise<void> {
    await new Promise<void>(resolve => { this.wake = resolve })
    this.wake = undefined
  }
}
