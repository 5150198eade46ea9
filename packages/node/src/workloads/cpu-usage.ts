import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { InstanceCgroup } from './cgroups.js'

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ: 100 on every Linux ABI). */
const USER_HZ = 100

/**
 * CPU time an instance has used so far, in µs, for autoscaling by load. Best first: cgroup v2's cpu.stat
 * (present in every v2 cgroup, controller or not, and it keeps the time of processes that ended), then v1's
 * cpuacct.usage, then the sum over its live processes' /proc stat (loses what ended processes used; a meter
 * treats a counter going back as no figure). Undefined when nothing can be read.
 */
export async function cpuUsageUsec (cgroup: InstanceCgroup | undefined, pids: readonly number[], procRoot = '/proc'): Promise<number | undefined> {
  if (cgroup?.v2Dir !== undefined) {
    const text = await readFile(join(cgroup.v2Dir, 'cpu.stat'), 'utf8').catch(() => undefined)
    const m = text === undefined ? null : /^usage_usec (\d+)$/m.exec(text)
    if (m !== null) return Number(m[1])
  }
  for (const dir of cgroup?.dirs ?? []) {
    const text = await readFile(join(dir, 'cpuacct.usage'), 'utf8').catch(() => undefined)
    if (text !== undefined && /^\d+\s*$/.test(text)) return Math.round(Number(text) / 1_000)
  }
  if (pids.length === 0) return undefined
  let ticks = 0
  let read = 0
  for (const pid of pids) {
    const stat = await readFile(join(procRoot, String(pid), 'stat'), 'utf8').catch(() => undefined)
    // Fields after the command (which may hold spaces and parentheses): state is field 3, utime 14, stime 15.
    const rest = stat?.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (rest === undefined || rest.length < 13) continue
    ticks += Number(rest[11]) + Number(rest[12])
    read++
  }
  return read === 0 ? undefined : Math.round(ticks * 1_000_000 / USER_HZ)
}

/** Turns successive CPU-time readings into a rate: thousandths of a core over the last interval. */
export class CpuMeter {
  private last: { atMs: number, usec: number } | undefined

  /** A reading at local `nowMs`; the rate since the one before, or undefined (first, or the counter went back). */
  sample (nowMs: number, usec: number | undefined): number | undefined {
    const before = this.last
    this.last = usec === undefined ? undefined : { atMs: nowMs, usec }
    if (before === undefined || usec === undefined || usec < before.usec || nowMs <= before.atMs) return undefined
    return Math.round((usec - before.usec) / (nowMs - before.atMs))
  }
}
