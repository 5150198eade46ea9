import { join } from 'node:path'
import { MalformedSystemFileError, readSystemFile } from './system-file.js'

/**
 * CPU busy from /proc/stat (proc(5)): one read of the aggregate "cpu" line per sample. `os.cpus()` would give
 * the same ticks per core but also reads a cpufreq file per core, which is dozens of reads on a big host.
 */

/** Cumulative CPU time since boot, in USER_HZ ticks. */
export interface CpuTimes {
  busyTicks: number
  totalTicks: number
  /** The "cpuN" lines: the CPUs the kernel has online. */
  cpuCount: number
}

/** Parses /proc/stat, or undefined when it has no usable "cpu" line. */
export function parseProcStat (text: string): CpuTimes | undefined {
  let times: CpuTimes | undefined
  let cpuCount = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith('cpu')) continue
    if (/^cpu\d+\s/.test(line)) { cpuCount++; continue }
    if (!line.startsWith('cpu ')) continue
    // user nice system idle iowait irq softirq steal [guest guest_nice]: guest time is already counted in
    // user and nice, so only the first eight fields make up the total.
    const fields = line.slice(4).trim().split(/\s+/).slice(0, 8).map(Number)
    if (fields.length < 4 || fields.some(n => !Number.isFinite(n) || n < 0)) return undefined
    const total = fields.reduce((a, b) => a + b, 0)
    const idle = fields[3] + (fields[4] ?? 0)
    times = { busyTicks: total - idle, totalTicks: total, cpuCount: 0 }
  }
  if (times === undefined) return undefined
  times.cpuCount = cpuCount
  return times
}

export function readCpuTimes (procRoot: string): CpuTimes {
  const path = join(procRoot, 'stat')
  const times = parseProcStat(readSystemFile(path))
  if (times === undefined) throw new MalformedSystemFileError(path, 'no aggregate "cpu" line')
  return times
}

/** CPU busy between two readings, 0..100 of all CPUs, or undefined when no time passed (or the counters went back). */
export function cpuPercentBetween (before: CpuTimes | undefined, after: CpuTimes): number | undefined {
  if (before === undefined) return undefined
  const total = after.totalTicks - before.totalTicks
  const busy = after.busyTicks - before.busyTicks
  if (total <= 0 || busy < 0) return undefined
  return Math.min(100, 100 * busy / total)
}
