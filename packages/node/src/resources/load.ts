import { join } from 'node:path'
import { MalformedSystemFileError, readSystemFile } from './system-file.js'

/**
 * Load averages from /proc/loadavg and uptime from /proc/uptime (proc(5)). Read as files rather than through
 * `os.loadavg()` and `os.uptime()` so that a test can point the reader at a fixture tree.
 */

export interface LoadAverage {
  load1: number
  load5: number
  load15: number
}

export function parseLoadavg (text: string): LoadAverage | undefined {
  const fields = text.trim().split(/\s+/, 3)
  if (fields.length < 3 || !fields.every(f => /^\d+(\.\d+)?$/.test(f))) return undefined
  const [a, b, c] = fields.map(Number)
  return { load1: a, load5: b, load15: c }
}

export function parseUptime (text: string): number | undefined {
  const first = text.trim().split(/\s+/)[0]
  if (!/^\d+(\.\d+)?$/.test(first)) return undefined
  return Number(first)
}

export function readLoadAverage (procRoot: string): LoadAverage {
  const path = join(procRoot, 'loadavg')
  const load = parseLoadavg(readSystemFile(path))
  if (load === undefined) throw new MalformedSystemFileError(path, 'not three load averages')
  return load
}

export function readUptimeSec (procRoot: string): number {
  const path = join(procRoot, 'uptime')
  const uptime = parseUptime(readSystemFile(path))
  if (uptime === undefined) throw new MalformedSystemFileError(path, 'no uptime in seconds')
  return uptime
}
