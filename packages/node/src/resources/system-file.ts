import { closeSync, openSync, readSync } from 'node:fs'
import { MAX_SYSTEM_FILE_BYTES } from './constants.js'

/**
 * Reading /proc and /sys files, synchronously on purpose. These are not disk files: the kernel writes their
 * text when they are read, from memory, and never waits on a device. Read synchronously such a file costs
 * 10 to 40 µs of CPU; through `fs.promises` (open, read and close each a threadpool round trip) it costs
 * about 150 µs more, measured here, which would triple the cost of an idle node's per-second sample.
 * The one reading that can block, statfs(2) of the data dir (a network file system), stays asynchronous.
 */

const FIRST_READ_BYTES = 8 * 1024
const RETAINED_BUFFER_BYTES = 64 * 1024

/** Reused between reads: reads are synchronous, so only one is ever in progress. */
let buffer = Buffer.allocUnsafe(FIRST_READ_BYTES)

/**
 * Reads a small /proc or /sys file whole. procfs reports a size of 0 for most files, so the size from stat
 * is no guide: read until end of file, growing the buffer only for a big file such as /proc/net/dev on a
 * host with hundreds of container interfaces. Anything past `maxBytes` is cut off.
 */
export function readSystemFile (path: string, maxBytes: number = MAX_SYSTEM_FILE_BYTES): string {
  const fd = openSync(path, 'r')
  try {
    let length = 0
    for (;;) {
      if (length === buffer.length) {
        if (buffer.length >= maxBytes) break
        const bigger = Buffer.allocUnsafe(Math.min(maxBytes, buffer.length * 2))
        buffer.copy(bigger, 0, 0, length)
        buffer = bigger
      }
      const bytesRead = readSync(fd, buffer, length, Math.min(buffer.length, maxBytes) - length, null)
      if (bytesRead === 0) break
      length += bytesRead
      if (length >= maxBytes) break
    }
    const text = buffer.toString('utf8', 0, length)
    // Do not keep a big buffer grown for one rare read (/proc/net/unix at a capability scan).
    if (buffer.length > RETAINED_BUFFER_BYTES) buffer = Buffer.allocUnsafe(FIRST_READ_BYTES)
    return text
  } finally {
    closeSync(fd)
  }
}

/** The first line of a sysfs attribute, trimmed, or undefined when it cannot be read (absent attributes are normal). */
export function readAttribute (path: string): string | undefined {
  try {
    return readSystemFile(path, 4096).split('\n', 1)[0].trim()
  } catch {
    return undefined
  }
}

/** A reader found a file it could not make sense of. The sampler counts it and reports the value as unknown. */
export class MalformedSystemFileError extends Error {
  constructor (path: string, why: string) {
    super(`${path}: ${why}`)
    this.name = 'MalformedSystemFileError'
  }
}
