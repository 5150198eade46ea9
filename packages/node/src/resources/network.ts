import { join } from 'node:path'
import { MalformedSystemFileError, readSystemFile } from './system-file.js'

/**
 * Network throughput from /proc/net/dev (proc(5)): cumulative byte counters per interface, turned into rates
 * between two samples. Loopback is left out: it is the node talking to itself.
 */

export interface InterfaceCounters {
  rxBytes: number
  txBytes: number
}

/** Parses /proc/net/dev into counters per interface, or undefined when it is not that file. */
export function parseNetDev (text: string): Map<string, InterfaceCounters> | undefined {
  const lines = text.split('\n')
  if (lines.length < 2 || !lines[0].includes('Receive') || !lines[0].includes('Transmit')) return undefined
  const counters = new Map<string, InterfaceCounters>()
  for (const line of lines.slice(2)) {
    const colon = line.indexOf(':')
    if (colon < 0) continue
    const name = line.slice(0, colon).trim()
    // receive: bytes packets errs drop fifo frame compressed multicast; then transmit: bytes ...
    const fields = line.slice(colon + 1).trim().split(/\s+/).map(Number)
    if (name === '' || fields.length < 9 || !Number.isFinite(fields[0]) || !Number.isFinite(fields[8])) continue
    counters.set(name, { rxBytes: fields[0], txBytes: fields[8] })
  }
  return counters
}

export function readNetCounters (procRoot: string): Map<string, InterfaceCounters> {
  const path = join(procRoot, 'net', 'dev')
  const counters = parseNetDev(readSystemFile(path))
  if (counters === undefined) throw new MalformedSystemFileError(path, 'no Receive/Transmit header')
  return counters
}

export interface Throughput {
  rxBytesPerSec: number
  txBytesPerSec: number
}

const LOOPBACK = 'lo'

/**
 * Bytes per second between two readings `elapsedMs` apart, over all interfaces but loopback. An interface
 * that is new, or whose counters went back (it was re-created), adds nothing this time rather than a
 * made-up spike.
 */
export function throughputBetween (
  before: Map<string, InterfaceCounters> | undefined,
  after: Map<string, InterfaceCounters>,
  elapsedMs: number
): Throughput | undefined {
  if (before === undefined || !(elapsedMs > 0)) return undefined
  let rx = 0
  let tx = 0
  for (const [name, now] of after) {
    const then = before.get(name)
    if (name === LOOPBACK || then === undefined) continue
    if (now.rxBytes >= then.rxBytes) rx += now.rxBytes - then.rxBytes
    if (now.txBytes >= then.txBytes) tx += now.txBytes - then.txBytes
  }
  const seconds = elapsedMs / 1000
  return { rxBytesPerSec: Math.round(rx / seconds), txBytesPerSec: Math.round(tx / seconds) }
}
