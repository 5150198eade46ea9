import type { ServerResponse } from 'node:http'
import type { ApiEvent, HeartbeatLine, OverflowLine } from './types.js'

export interface EventStreamOptions {
  /** Events the client may fall behind by before it is cut off (MAX_EVENT_BACKLOG). */
  maxEventBacklog: number
  /** How often a quiet stream sends a heartbeat line, in ms. */
  heartbeatIntervalMs: number
  /** How long an overflowed client gets to take its last lines before the connection is destroyed, in ms. */
  overflowFlushTimeoutMs: number
  /** Called once an overflow has been decided. */
  onOverflow: () => void
}

/**
 * One `/v1/events` client: NDJSON lines written as fast as its socket takes them. What the socket cannot
 * take yet waits in a bounded queue; past the bound, the stream ends with an `overflow` line (see
 * MAX_EVENT_BACKLOG for why it ends rather than skipping events).
 */
export class EventStream {
  private readonly queue: string[] = []
  private readonly heartbeat: NodeJS.Timeout
  private waitingForDrain = false
  private ended = false

  constructor (private readonly res: ServerResponse, private readonly options: EventStreamOptions) {
    res.writeHead(200, {
      'Content-Type': 'application/x-ndjson',
      'Cache-Control': 'no-store'
    })
    // A first heartbeat tells the client (and tests) that the subscription is in place.
    this.write(line({ type: 'heartbeat', atMs: Date.now() } satisfies HeartbeatLine))
    // A heartbeat every interval, not only on silence: it is one line, and the timer stays simple.
    this.heartbeat = setInterval(() => {
      if (this.queue.length === 0) this.write(line({ type: 'heartbeat', atMs: Date.now() } satisfies HeartbeatLine))
    }, options.heartbeatIntervalMs)
    this.heartbeat.unref()
    res.once('close', () => { this.stop() })
  }

  /** Queues one event for the client, or ends the stream if the client is too far behind. */
  push (event: ApiEvent): void {
    if (this.ended) return
    const text = line(event)
    if (this.waitingForDrain) {
      this.queue.push(text)
      if (this.queue.length > this.options.maxEventBacklog) this.overflow()
      return
    }
    this.write(text)
  }

  /** Ends the stream cleanly (the server is closing). */
  end (): void {
    if (this.ended) return
    this.stop()
    this.res.end()
  }

  private write (text: string): void {
    if (this.res.write(text)) return
    if (this.waitingForDrain) return
    this.waitingForDrain = true
    this.res.once('drain', () => { this.flush() })
  }

  private flush (): void {
    this.waitingForDrain = false
    while (this.queue.length > 0 && !this.ended) {
      const next = this.queue.shift() as string
      if (!this.res.write(next)) {
        this.waitingForDrain = true
        this.res.once('drain', () => { this.flush() })
        return
      }
    }
  }

  private overflow (): void {
    this.stop()
    this.options.onOverflow()
    // The queued events are dropped: the client resyncs from /v1/members anyway.
    this.queue.length = 0
    this.res.end(line({ type: 'overflow', atMs: Date.now(), maxEventBacklog: this.options.maxEventBacklog } satisfies OverflowLine))
    // end() waits for the socket to take what is buffered; a client that never reads would hold it forever.
    const cutoff = setTimeout(() => { this.res.destroy() }, this.options.overflowFlushTimeoutMs)
    cutoff.unref()
    this.res.once('close', () => { clearTimeout(cutoff) })
  }

  private stop (): void {
    this.ended = true
    clearInterval(this.heartbeat)
  }
}

function line (value: object): string {
  return JSON.stringify(value) + '\n'
}
