import { join } from 'node:path'
import { readLogTail, type LogStream, type RotatingLog } from '../workloads/index.js'

/** How often a follower checks that the instance it follows still runs, in ms. */
const FOLLOW_RECHECK_MS = 1_000

/** One line of an instance's output, as the logs protocol and the API carry it. */
export interface LogLine { stream: LogStream, line: string }

/** What a reader asks for. */
export interface LogsRequest {
  workload: string
  index: number
  streams: LogStream[]
  /** Lines of history per stream, before following. */
  tail: number
  follow: boolean
}

/** Where the supervisor writes an instance's log files (workloads/instance.ts names them so). */
export function logPathOf (dataDir: string, workload: string, index: number, stream: LogStream): string {
  return join(dataDir, 'logs', `${workload}-${index}.${stream}.log`)
}

/**
 * The instance's log lines on this node: the last `tail` of each stream (from disk, so an ended instance's
 * logs are still there), then, with `follow`, every new line until `signal` aborts. `liveLog` gives the
 * supervisor's RotatingLog of a running instance (undefined when it does not run here).
 */
export async function * localLogLines (
  dataDir: string,
  request: LogsRequest,
  liveLog: (stream: LogStream) => RotatingLog | undefined,
  signal: AbortSignal,
  maxPending: number,
  onSkipped: (n: number) => void
): AsyncGenerator<LogLine> {
  const queue: LogLine[] = []
  let wake: (() => void) | undefined
  let skipped = 0
  const unfollow: Array<() => void> = []
  const followed = new Map<LogStream, RotatingLog>()
  // Subscribe before reading the tail, so no line falls between the two (a line may then appear twice).
  if (request.follow) {
    for (const stream of request.streams) {
      const log = liveLog(stream)
      if (log === undefined) continue
      followed.set(stream, log)
      unfollow.push(log.follow(line => {
        if (queue.length >= maxPending) { skipped++; return }
        queue.push({ stream, line })
        wake?.()
      }))
    }
  }
  try {
    for (const stream of request.streams) {
      for (const line of readLogTail(logPathOf(dataDir, request.workload, request.index, stream), request.tail)) yield { stream, line }
    }
    if (!request.follow || followed.size === 0) return
    const aborted = new Promise<void>(resolve => { signal.addEventListener('abort', () => { resolve() }, { once: true }) })
    // The instance may end (or be replaced by a new one): then its log no longer grows, and following ends.
    const ended = (): boolean => [...followed].every(([stream, log]) => liveLog(stream) !== log)
    while (!signal.aborted) {
      if (skipped > 0) { onSkipped(skipped); skipped = 0 }
      const next = queue.shift()
      if (next !== undefined) { yield next; continue }
      if (ended()) return
      const recheck = new Promise<void>(resolve => { setTimeout(resolve, FOLLOW_RECHECK_MS).unref() })
      await Promise.race([new Promise<void>(resolve => { wake = resolve }), aborted, recheck])
      wake = undefined
    }
  } finally {
    for (const off of unfollow) off()
  }
}
