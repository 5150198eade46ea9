/**
 * CPU time and memory of an agent, read from /proc. CPU counts the agent and every live descendant
 * (utime + stime), plus what its reaped children used (cutime + cstime), so an agent that forks helpers is
 * not flattered.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'

/** Kernel clock ticks per second (`getconf CLK_TCK`; 100 on every Linux this runs on). */
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100

interface Stat { pid: number, ppid: number, ticks: number, childTicks: number }

/** Fields of /proc/<pid>/stat after the `(comm)`, which may itself hold spaces and parentheses. */
function readStat (pid: number): Stat | undefined {
  let text: string
  try { text = readFileSync(`/proc/${pid}/stat`, 'utf8') } catch { return undefined }
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ')
  // f[0] is field 3 (state): ppid is field 4, utime..cstime are fields 14..17.
  return { pid, ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), childTicks: Number(f[13]) + Number(f[14]) }
}

/** The pid and all its live descendants. */
export function processTree (root: number): Stat[] {
  const all: Stat[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const s = readStat(Number(entry))
    if (s !== undefined) all.push(s)
  }
  const tree = all.filter((s) => s.pid === root)
  for (let i = 0; i < tree.length; i++) tree.push(...all.filter((s) => s.ppid === tree[i].pid))
  return tree
}

/** CPU seconds used so far by the process tree under `pid`. */
export function cpuSeconds (pid: number): number {
  const tree = processTree(pid)
  const ticks = tree.reduce((sum, s) => sum + s.ticks, 0) + (tree[0]?.childTicks ?? 0)
  return ticks / CLK_TCK
}

/** Resident memory of the process tree under `pid`, in bytes (VmRSS, summed). */
export function rssBytes (pid: number): number {
  let kib = 0
  for (const s of processTree(pid)) {
    try {
      const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${s.pid}/status`, 'utf8'))
      if (m !== null) kib += Number(m[1])
    } catch { /* exited meanwhile */ }
  }
  return kib * 1024
}
