import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { MAX_SCANNED_ENTRIES } from './constants.js'
import { readSystemFile } from './system-file.js'

/**
 * The X displays this node can reach: an X server for display ":N" listens on the Unix socket
 * /tmp/.X11-unix/XN, and often on the abstract socket "@/tmp/.X11-unix/XN" too (listed in /proc/net/unix,
 * with no file to see, for example when /tmp is private to a service). $DISPLAY adds a display reached
 * another way, such as an ssh-forwarded "localhost:10.0".
 */

const SOCKET_NAME = /^X(\d{1,5})$/
const ABSTRACT_SOCKET = /@\/tmp\/\.X11-unix\/X(\d{1,5})$/

/** ":0.0" and ":0" are the same display (screen 0 of it); other forms are kept as given. */
export function normalizeDisplay (display: string): string {
  const m = /^:(\d+)(\.\d+)?$/.exec(display.trim())
  return m === null ? display.trim() : `:${Number(m[1])}`
}

/** Display numbers with an X server socket in `socketDir`. A missing directory means none. */
function socketDisplays (socketDir: string): number[] {
  try {
    return readdirSync(socketDir).map(name => SOCKET_NAME.exec(name)).filter(m => m !== null).map(m => Number(m[1]))
  } catch {
    return []
  }
}

/** Display numbers with an abstract X server socket in /proc/net/unix. */
export function parseAbstractDisplays (netUnix: string): number[] {
  const found: number[] = []
  for (const line of netUnix.split('\n')) {
    const m = ABSTRACT_SOCKET.exec(line.trim())
    if (m !== null) found.push(Number(m[1]))
  }
  return found
}

export function readDisplays (socketDir: string, procRoot: string, envDisplay: string | undefined): string[] {
  const numbers = new Set(socketDisplays(socketDir))
  try {
    for (const n of parseAbstractDisplays(readSystemFile(join(procRoot, 'net', 'unix'), 1024 * 1024))) numbers.add(n)
  } catch {
    // No /proc/net/unix (another OS, a locked-down sandbox): the socket files are all we know.
  }
  const displays = [...numbers].sort((a, b) => a - b).map(n => `:${n}`)
  if (envDisplay !== undefined && envDisplay.trim() !== '') {
    const own = normalizeDisplay(envDisplay)
    if (!displays.includes(own)) displays.push(own)
  }
  return displays.slice(0, MAX_SCANNED_ENTRIES)
}
