import { closeSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs'
import { StringDecoder } from 'node:string_decoder'
import { LOG_MAX_BYTES, LOG_MAX_LINE_BYTES } from './constants.js'

/** The two output streams of an instance; each has its own log file. */
export type LogStream = 'stdout' | 'stderr'

export interface RotatingLogInit {
  /** The current file; the previous one is `<path>.1`. */
  path: string
  /** Rotate when the current file would grow past this. @default LOG_MAX_BYTES */
  maxBytes?: number
  /** Followers get lines at most this long; longer ones arrive in pieces. @default LOG_MAX_LINE_BYTES */
  maxLineBytes?: number
}

/**
 * A size-bounded log file: at `maxBytes` the current file becomes `<path>.1` (replacing the one before) and a
 * new one starts, so a chatty or looping instance costs at most 2 × maxBytes of disk, whatever it prints.
 *
 * Writes are synchronous and in arrival order. The instance's pipe gives backpressure for free: while the
 * agent writes, it does not read, and the instance blocks in write(2) instead of filling the agent's memory.
 */
export class RotatingLog {
  readonly path: string
  readonly maxBytes: number
  private readonly maxLineBytes: number
  private fd: number
  private size: number
  private partial = ''
  // A chunk may end inside a multi-byte character; the decoder keeps the tail for the next one.
  private readonly decoder = new StringDecoder('utf8')
  private readonly followers = new Set<(line: string) => void>()

  constructor (init: RotatingLogInit) {
    this.path = init.path
    this.maxBytes = Math.max(1, init.maxBytes ?? LOG_MAX_BYTES)
    this.maxLineBytes = Math.max(1, init.maxLineBytes ?? LOG_MAX_LINE_BYTES)
    this.fd = openSync(this.path, 'a', 0o600)
    this.size = statSync(this.path).size
  }

  /** Appends bytes, rotating as often as needed; a chunk larger than the bound is split across files. */
  write (chunk: Buffer): void {
    // Output can still arrive from a pipe after the instance was torn down; there is nowhere to put it.
    if (this.fd < 0) return
    let offset = 0
    while (offset < chunk.length) {
      if (this.size >= this.maxBytes) this.rotate()
      const n = Math.min(chunk.length - offset, this.maxBytes - this.size)
      writeSync(this.fd, chunk, offset, n)
      this.size += n
      offset += n
    }
    if (this.followers.size > 0) this.deliver(this.decoder.write(chunk))
  }

  /** The last `maxLines` complete or partial lines, from the previous file and the current one. */
  tail (maxLines: number): string[] {
    return readLogTail(this.path, maxLines)
  }

  /** Calls `onLine` with every line written from now on. Returns the function that stops it. */
  follow (onLine: (line: string) => void): () => void {
    this.followers.add(onLine)
    return () => { this.followers.delete(onLine) }
  }

  /** Hands any unterminated last line to followers and closes the file. */
  close (): void {
    if (this.fd < 0) return
    if (this.partial !== '') for (const f of this.followers) f(this.partial)
    this.partial = ''
    this.followers.clear()
    closeSync(this.fd)
    this.fd = -1
  }

  private rotate (): void {
    closeSync(this.fd)
    renameSync(this.path, `${this.path}.1`)
    this.fd = openSync(this.path, 'a', 0o600)
    this.size = 0
  }

  private deliver (text: string): void {
    const pieces = (this.partial + text).split('\n')
    this.partial = pieces.pop() ?? ''
    // An endless line must not grow this buffer: hand it on in pieces.
    while (this.partial.length > this.maxLineBytes) {
      pieces.push(this.partial.slice(0, this.maxLineBytes))
      this.partial = this.partial.slice(this.maxLineBytes)
    }
    for (const line of pieces) for (const f of this.followers) f(line)
  }
}

/**
 * The last `maxLines` lines of a rotating log (`<path>.1` then `<path>`), read from disk: works for a log
 * whose writer is gone too, such as after the agent restarted. Reads at most the two bounded files.
 */
export function readLogTail (path: string, maxLines: number): string[] {
  if (maxLines <= 0) return []
  const read = (p: string): string => { try { return readFileSync(p, 'utf8') } catch { return '' } }
  const text = read(`${path}.1`) + read(path)
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  return lines.slice(-maxLines)
}
