import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic, type AtomicWriteOptions } from '../identity/atomic-file.js'
import { ClusterCodeError, parseClusterCode, type ClusterCode } from './cluster-code.js'

/** The file in the data dir that holds the cluster code (mode 0600, written atomically). */
export const SECRET_FILE = 'cluster.secret'
/** Its format version; a file of another version is refused, not guessed at. */
const SECRET_FORMAT = 1

/** A stored secret that cannot be read: its message is for a person. */
export class SecretFileError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'SecretFileError'
  }
}

/** The data dir's cluster code, or undefined when it has none yet. */
export async function loadClusterCode (dataDir: string): Promise<ClusterCode | undefined> {
  const file = join(dataDir, SECRET_FILE)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new SecretFileError(`cannot read ${file}: ${(err as Error).message}`, { cause: err })
  }
  try {
    const parsed = JSON.parse(text) as { format?: unknown, code?: unknown }
    if (parsed.format !== SECRET_FORMAT || typeof parsed.code !== 'string') throw new Error(`not a format-${SECRET_FORMAT} secret file`)
    return parseClusterCode(parsed.code)
  } catch (err) {
    const why = err instanceof ClusterCodeError || err instanceof SyntaxError ? err.message : String((err as Error).message)
    throw new SecretFileError(`${file} is damaged (${why}): run \`dreammesh up --cluster <code>\` again to replace it`, { cause: err })
  }
}

/**
 * Stores the cluster code. The write is atomic (temp file, fsync, rename, fsync the dir), so a kill -9 at
 * any point leaves either the old code or the new one, never a torn file.
 */
export async function saveClusterCode (dataDir: string, code: ClusterCode, options: AtomicWriteOptions = {}): Promise<void> {
  const body = JSON.stringify({ format: SECRET_FORMAT, code: code.text }) + '\n'
  await writeFileAtomic(join(dataDir, SECRET_FILE), new TextEncoder().encode(body), { mode: 0o600, ...options })
}
