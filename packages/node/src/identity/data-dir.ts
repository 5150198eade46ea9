import { randomBytes } from 'node:crypto'
import { mkdir, readdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { TEMP_PREFIX, writeFileAtomic } from './atomic-file.js'

/** A data dir that cannot be created, read or written. Its message is meant for a person, not a stack trace. */
export class DataDirError extends Error {
  readonly dataDir: string
  constructor (dataDir: string, cause: unknown) {
    const detail = cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : String(cause)
    super(`the data dir ${dataDir} is not usable (${detail}): give a writable directory with --data-dir or DREAMMESH_DATA_DIR`, { cause })
    this.name = 'DataDirError'
    this.dataDir = dataDir
  }
}

/**
 * Creates the data dir (mode 0700: it holds the node's private key) if needed, removes temp files left by
 * an interrupted atomic write, and proves it writable by writing and removing a probe file. Any failure
 * becomes a `DataDirError`.
 */
export async function openDataDir (dataDir: string): Promise<void> {
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o700 })
    if (!(await stat(dataDir)).isDirectory()) throw new Error('not a directory')
    for (const name of await readdir(dataDir)) {
      if (name.startsWith(TEMP_PREFIX)) await rm(join(dataDir, name), { force: true })
    }
    // access(W_OK) says yes to root even on a read-only mount; only a real write proves it.
    const probe = join(dataDir, `.probe-${randomBytes(6).toString('hex')}`)
    await writeFileAtomic(probe, new Uint8Array(0))
    await rm(probe)
  } catch (err) {
    throw new DataDirError(dataDir, err)
  }
}
