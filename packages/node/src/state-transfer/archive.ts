import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { syncDir } from '../identity/atomic-file.js'
import { STATE_ROOT } from './constants.js'

/**
 * A state dir as an archive, and back. The archive is deterministic: the same files, modes and mtimes give
 * the same bytes on every node (GNU tar, names sorted, owners zeroed, no pax times), so its sha256 is a
 * checksum of the state that two nodes can compare. Restoring is atomic: the new copy is extracted beside
 * the old one, made durable, and swapped in by rename; a crash at any point leaves the old copy or the new
 * one in place, never a mix (`recoverStateDir` finishes or undoes an interrupted swap).
 */

/** Where the state of `workload` lives on a node (the supervisor's default state dir). */
export function stateDirOf (dataDir: string, workload: string): string {
  return join(dataDir, STATE_ROOT, workload)
}

const TAR_CREATE_FLAGS = ['--format=gnu', '--sort=name', '--owner=0', '--group=0', '--numeric-owner']

/** Writes the archive of `dir` (created empty if absent) to `archivePath`; resolves its size and sha256. */
export async function packState (dir: string, archivePath: string): Promise<{ bytes: number, sha256: string }> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await runTar(['-C', dir, ...TAR_CREATE_FLAGS, '-cf', archivePath, '.'])
  return await checksumFile(archivePath)
}

/** The size and sha256 of a file. */
export async function checksumFile (path: string): Promise<{ bytes: number, sha256: string }> {
  const hash = createHash('sha256')
  let bytes = 0
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer)
    bytes += (chunk as Buffer).byteLength
  }
  return { bytes, sha256: hash.digest('hex') }
}

/**
 * Replaces `dir` with the archive's contents, atomically: extract into `<dir>.incoming`, flush it to disk,
 * move the old copy aside, rename the new one in, flush the parent, then delete the old copy.
 */
export async function restoreState (archivePath: string, dir: string): Promise<void> {
  await recoverStateDir(dir)
  const incoming = `${dir}.incoming`
  const previous = `${dir}.previous`
  await rm(incoming, { recursive: true, force: true })
  await mkdir(incoming, { recursive: true, mode: 0o700 })
  await runTar(['-C', incoming, '--no-same-owner', '-xf', archivePath])
  await runSync(incoming)
  if (await exists(dir)) await rename(dir, previous)
  await rename(incoming, dir)
  await syncDir(join(dir, '..'))
  await rm(previous, { recursive: true, force: true })
}

/** Finishes or undoes a restore that a crash interrupted: the state dir is whole afterwards. */
export async function recoverStateDir (dir: string): Promise<void> {
  const previous = `${dir}.previous`
  if (await exists(previous)) {
    // The swap had begun: if the new copy made it in, it is whole (it was flushed first); else put the old back.
    if (await exists(dir)) await rm(previous, { recursive: true, force: true })
    else await rename(previous, dir)
  }
  await rm(`${dir}.incoming`, { recursive: true, force: true })
}

/** Leftover temporary archives of transfers a crash cut short. */
export async function removeStaleArchives (folder: string, prefix: string): Promise<void> {
  const names = await readdir(folder).catch(() => [] as string[])
  await Promise.all(names.filter(n => n.startsWith(prefix)).map(async n => { await rm(join(folder, n), { force: true }) }))
}

async function exists (path: string): Promise<boolean> {
  return await stat(path).then(() => true, () => false)
}

async function runTar (args: string[]): Promise<void> {
  await run('tar', args)
}

/** Flushes the file system holding `dir` (every extracted file, at once: cheaper than one fsync per file). */
async function runSync (dir: string): Promise<void> {
  await run('sync', ['-f', dir])
}

async function run (command: string, args: string[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => { if (stderr.length < 4096) stderr += d.toString() })
    child.once('error', reject)
    child.once('close', code => {
      if (code === 0) resolve()
      else reject(new Error(`${command} ${args.join(' ')} failed (exit ${String(code)}): ${stderr.trim()}`))
    })
  })
}
