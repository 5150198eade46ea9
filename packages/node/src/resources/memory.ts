import { join } from 'node:path'
import { MalformedSystemFileError, readSystemFile } from './system-file.js'

/**
 * Memory from /proc/meminfo. "Used" is total minus MemAvailable, the kernel's own estimate of what could be
 * handed out without swapping (page cache counts as available), which is what placement wants to know.
 */

export interface Memory {
  usedBytes: number
  totalBytes: number
}

/** Parses /proc/meminfo, or undefined when MemTotal (or any notion of free memory) is missing. */
export function parseMeminfo (text: string): Memory | undefined {
  const kib = new Map<string, number>()
  for (const line of text.split('\n')) {
    const m = /^(\w+):\s+(\d+)\s*kB/.exec(line)
    if (m !== null) kib.set(m[1], Number(m[2]))
  }
  const total = kib.get('MemTotal')
  if (total === undefined || total <= 0) return undefined
  // Kernels before 3.14 have no MemAvailable: free plus reclaimable cache is the old approximation.
  let available = kib.get('MemAvailable')
  if (available === undefined) {
    const free = kib.get('MemFree')
    if (free === undefined) return undefined
    available = free + (kib.get('Buffers') ?? 0) + (kib.get('Cached') ?? 0)
  }
  available = Math.min(available, total)
  return { usedBytes: (total - available) * 1024, totalBytes: total * 1024 }
}

export function readMemory (procRoot: string): Memory {
  const path = join(procRoot, 'meminfo')
  const memory = parseMeminfo(readSystemFile(path))
  if (memory === undefined) throw new MalformedSystemFileError(path, 'no MemTotal, or no MemAvailable nor MemFree')
  return memory
}
