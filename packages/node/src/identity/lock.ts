import { readFileSync } from 'node:fs'
import { link, open, readFile, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'

/** The lock file in the data dir: who runs `up` on it now (pid and the process's start time). */
export const LOCK_FILE = 'node.lock'

/** A data dir already in use by a live node. Its message is for a person. */
export class DataDirLockedError extends Error {
  readonly pid: number
  constructor (dataDir: string, pid: number) {
    super(`another dreammesh node (pid ${pid}) is already running with the data dir ${dataDir}: stop it first, or use another --data-dir`)
    this.name = 'DataDirLockedError'
    this.pid = pid
  }
}

/** What a lock file says. `startTicks` tells a live holder from a new process that reused its pid. */
interface LockRecord { pid: number, startTicks: string | null }

/** A held lock; `release()` removes the file if it is still ours. */
export interface DataDirLock {
  release: () => Promise<void>
}

/**
 * Takes the data dir's lock, so that two nodes never share one identity and one set of files.
 *
 * A lock is a file created with O_EXCL holding the holder's pid and start time. A kill -9 leaves the file
 * behind, so a lock whose process is gone (or whose pid now belongs to a younger process) is stale: it is
 * moved aside with rename(2), which only one contender can win, and the take is tried again. Node has no
 * flock(2), which would have made staleness the kernel's problem.
 */
export async function lockDataDir (dataDir: string, self: LockRecord = ownRecord()): Promise<DataDirLock> {
  const file = join(dataDir, LOCK_FILE)
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600)
      try {
        await handle.writeFile(JSON.stringify(self) + '\n')
        await handle.sync()
      } finally {
        await handle.close()
      }
      return { release: async () => { await releaseIfOurs(file, self) } }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    const holder = await readLock(file)
    if (holder !== undefined && isAlive(holder)) throw new DataDirLockedError(dataDir, holder.pid)
    await clearStale(file, holder)
  }
  throw new Error(`could not take the lock ${file}: it keeps changing hands`)
}

/**
 * Moves a stale lock aside. rename(2) lets one contender win; a contender that was slow may instead have
 * moved a fresh lock that a faster one just took, so it checks what it moved and puts a live lock back.
 */
async function clearStale (file: string, judged: LockRecord | undefined): Promise<void> {
  const aside = `${file}.stale-${process.pid}`
  try {
    await rename(file, aside)
  } catch {
    return
  }
  const moved = await readLock(aside)
  const same = moved?.pid === judged?.pid && moved?.startTicks === judged?.startTicks
  if (!same && moved !== undefined && isAlive(moved)) {
    await link(aside, file).catch(() => {})
  }
  await rm(aside, { force: true })
}

async function releaseIfOurs (file: string, self: LockRecord): Promise<void> {
  const holder = await readLock(file)
  if (holder?.pid === self.pid && holder.startTicks === self.startTicks) await rm(file, { force: true })
}

async function readLock (file: string): Promise<LockRecord | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<LockRecord>
    if (typeof parsed.pid !== 'number') return undefined
    return { pid: parsed.pid, startTicks: typeof parsed.startTicks === 'string' ? parsed.startTicks : null }
  } catch {
    return undefined
  }
}

function isAlive (holder: LockRecord): boolean {
  try {
    process.kill(holder.pid, 0)
  } catch (err) {
    // EPERM: alive, but someone else's.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
  // Same pid, other start time: the holder died and the pid was reused.
  const now = startTicksOf(holder.pid)
  return holder.startTicks === null || now === null || now === holder.startTicks
}

function ownRecord (): LockRecord {
  return { pid: process.pid, startTicks: startTicksOf(process.pid) }
}

/** The process's start time in clock ticks since boot (field 22 of /proc/PID/stat), or null off Linux. */
function startTicksOf (pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may hold spaces and parentheses; fields are counted after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return fields[19] ?? null
  } catch {
    return null
  }
}
