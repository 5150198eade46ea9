import { randomBytes } from 'node:crypto'
import { open, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/** The steps of an atomic write, in order; a test may stop the write after any of them (a crash point). */
export type AtomicWriteStep = 'temp-written' | 'temp-synced' | 'renamed' | 'dir-synced'

export interface AtomicWriteOptions {
  /** @default 0o600 */
  mode?: number
  /** Called after each step; throwing simulates a crash there (the temp file is left behind, as a kill -9 would). */
  afterStep?: (step: AtomicWriteStep) => void
}

/** The prefix of temp files, so a reader can ignore (and a cleaner remove) leftovers of an interrupted write. */
export const TEMP_PREFIX = '.tmp-'

/**
 * Replaces `file` with `bytes` so that, after a crash at any moment, the file holds either the old content
 * or the new, whole. The classic sequence: write a temp file in the same directory, fsync it, rename it over
 * the target (atomic within a filesystem), then fsync the directory so the rename itself is durable.
 */
export async function writeFileAtomic (file: string, bytes: Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const dir = dirname(file)
  const temp = join(dir, `${TEMP_PREFIX}${basename(file)}-${randomBytes(6).toString('hex')}`)
  const step = options.afterStep ?? (() => {})
  const handle = await open(temp, 'wx', options.mode ?? 0o600)
  let renamed = false
  try {
    try {
      await handle.writeFile(bytes)
      step('temp-written')
      await handle.sync()
      step('temp-synced')
    } finally {
      await handle.close()
    }
    await rename(temp, file)
    renamed = true
    step('renamed')
  } catch (err) {
    // A real failure (not a simulated crash point) should not leave litter; a crash point keeps it, as a crash would.
    if (!renamed && !(err instanceof CrashPoint)) await rm(temp, { force: true })
    throw err
  }
  await syncDir(dir)
  step('dir-synced')
}

/** fsyncs a directory, making renames and creations inside it durable. */
export async function syncDir (dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** Thrown by a test's `afterStep` to simulate a crash at that step. */
export class CrashPoint extends Error {
  constructor (readonly step: AtomicWriteStep) {
    super(`simulated crash after ${step}`)
    this.name = 'CrashPoint'
  }
}
