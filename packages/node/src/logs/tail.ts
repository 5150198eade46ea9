import { closeSync, fstatSync, openSync, readSync } from 'node:fs'

/**
 * The history half of a read: the last lines of a rotating log (`<path>.1`, then `<path>`) as the supervisor's
 * RotatingLog leaves them, read from the end of the files within a byte bound. The files may hold 16 MiB; a
 * request must not cost that much memory, nor send one endless line as one frame.
 */

/** Pieces of `line` of at most `maxChars` UTF-16 code units each, never splitting a surrogate pair. */
export function cutLine (line: string, maxChars: number): string[] {
  if (line.length <= maxChars) return [line]
  const pieces: string[] = []
  let at = 0
  while (at < line.length) {
    let end = Math.min(at + maxChars, line.length)
    // A high surrogate at the cut belongs with the low one after it.
    if (end < line.length && end - at > 1 && isHighSurrogate(line.charCodeAt(end - 1))) end--
    pieces.push(line.slice(at, end))
    at = end
  }
  return pieces
}

function isHighSurrogate (code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff
}

/**
 * The last `maxLines` lines of the rotating log at `path`, reading at most the last `maxBytes` of the two
 * files; each line cut to `maxLineChars`. When the byte bound cuts into a line, that partial first line is
 * left out (unless it is all there is: the end of one endless line). Missing files read as empty.
 */
export function readTail (path: string, maxLines: number, maxBytes: number, maxLineChars: number): string[] {
  if (maxLines <= 0 || maxBytes <= 0) return []
  // The current file first: if it rotates between the two opens, `.1` is then the very file already open
  // (same inode) and is skipped, rather than read twice.
  const current = openIfThere(path)
  const previous = openIfThere(`${path}.1`)
  try {
    const same = current !== undefined && previous !== undefined && current.ino === previous.ino
    const tailOfCurrent = current === undefined ? Buffer.alloc(0) : readLast(current.fd, current.size, maxBytes)
    const left = maxBytes - tailOfCurrent.length
    const tailOfPrevious = previous === undefined || same || left <= 0 ? Buffer.alloc(0) : readLast(previous.fd, previous.size, left)
    const whole = (current?.size ?? 0) + (same ? 0 : previous?.size ?? 0)
    const bytes = Buffer.concat([tailOfPrevious, tailOfCurrent])
    return lastLines(bytes, bytes.length < whole, maxLines, maxLineChars)
  } finally {
    if (current !== undefined) closeSync(current.fd)
    if (previous !== undefined) closeSync(previous.fd)
  }
}

/** Splits the bytes of the end of a log into its last lines; `cut` says they start inside the log. */
export function lastLines (bytes: Buffer, cut: boolean, maxLines: number, maxLineChars: number): string[] {
  let start = 0
  if (cut) {
    const newline = bytes.indexOf(0x0a)
    if (newline >= 0 && newline < bytes.length - 1) start = newline + 1
    // No whole line in reach: show the end of the endless one, from a character boundary.
    else while (start < bytes.length && (bytes[start] & 0xc0) === 0x80) start++
  }
  const lines = bytes.subarray(start).toString('utf8').split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  const out: string[] = []
  // From the end, so that a huge history costs only the lines kept.
  for (let i = lines.length - 1; i >= 0 && out.length < maxLines; i--) {
    const pieces = cutLine(lines[i], maxLineChars)
    for (let p = pieces.length - 1; p >= 0 && out.length < maxLines; p--) out.push(pieces[p])
  }
  return out.reverse()
}

function openIfThere (path: string): { fd: number, size: number, ino: number } | undefined {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch {
    return undefined
  }
  const stat = fstatSync(fd)
  return { fd, size: stat.size, ino: stat.ino }
}

/** The last `maxBytes` (at most) of the first `size` bytes of an open file. */
function readLast (fd: number, size: number, maxBytes: number): Buffer {
  const length = Math.min(size, maxBytes)
  const buffer = Buffer.alloc(length)
  let filled = 0
  while (filled < length) {
    const n = readSync(fd, buffer, filled, length - filled, size - length + filled)
    if (n === 0) break
    filled += n
  }
  return buffer.subarray(0, filled)
}
