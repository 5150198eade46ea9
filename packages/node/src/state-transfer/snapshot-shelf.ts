import { mkdir, readFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { syncDir, writeFileAtomic } from '../identity/atomic-file.js'
import { WORKLOAD_NAME } from './constants.js'

/** The folder in the data dir where a standby keeps the snapshots it pulled (`--replicate-state`). */
export const SNAPSHOTS_DIR = 'snapshots'

/**
 * The standby copies this node keeps: per workload, one archive and its metadata. A new snapshot replaces
 * the old one atomically (archive renamed in, then its metadata written atomically), so a crash leaves the
 * old pair or the new one; metadata whose archive does not match is caught by the sha256 at restore.
 */
export class SnapshotShelf {
  private readonly dir: string

  constructor (dataDir: string) {
    this.dir = join(dataDir, SNAPSHOTS_DIR)
  }

  archivePath (workload: string): string {
    return join(this.dir, `${workload}.tar`)
  }

  /** The metadata of the kept snapshot of `workload`, or undefined. */
  async meta (workload: string): Promise<SnapshotMeta | undefined> {
    try {
      return readMeta(JSON.parse(await readFile(join(this.dir, `${workload}.json`), 'utf8')))
    } catch {
      return undefined
    }
  }

  /** Keeps the archive at `archivePath` (moved, not copied) as the snapshot of `meta.workload`. */
  async keep (archivePath: string, meta: SnapshotMeta): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 })
    await rename(archivePath, this.archivePath(meta.workload))
    await syncDir(this.dir)
    await writeFileAtomic(join(this.dir, `${meta.workload}.json`), Buffer.from(JSON.stringify(meta)))
  }
}

/** A standby's copy of a running instance's state. */
export interface SnapshotMeta {
  workload: string
  bytes: number
  sha256: string
  /** Wall-clock ms on the node that took it: for the age a failover reports. */
  takenAtMs: number
  /** The lease epoch the instance ran under. */
  epoch: number
  /** The node it was taken from. */
  from: string
}

/** A snapshot's metadata from a peer or a file, checked; undefined when it does not fit. */
export function readMeta (value: unknown): SnapshotMeta | undefined {
  const m = value as Partial<SnapshotMeta> | null
  if (typeof m !== 'object' || m === null || typeof m.workload !== 'string' || !WORKLOAD_NAME.test(m.workload) ||
    !Number.isSafeInteger(m.bytes) || typeof m.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(m.sha256) ||
    typeof m.takenAtMs !== 'number' || !Number.isFinite(m.takenAtMs) || !Number.isSafeInteger(m.epoch) || typeof m.from !== 'string') return undefined
  return { workload: m.workload, bytes: m.bytes as number, sha256: m.sha256, takenAtMs: m.takenAtMs, epoch: m.epoch as number, from: m.from }
}
