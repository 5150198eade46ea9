import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic, type AtomicWriteOptions } from './atomic-file.js'

/** The lowest incarnation the next start may use, as JSON `{ "version": 1, "next": N }`, mode 0600. */
export const INCARNATION_FILE = 'incarnation.json'

const FORMAT_VERSION = 1

/**
 * The member's incarnation across restarts. SWIM lets only a member raise its own incarnation, and peers
 * ignore news about it at or below the incarnation they last saw. A restarted node that started again at 0
 * would be "dead at 3" to everyone until it heard of that and refuted it; starting above every incarnation
 * it ever used, it is believed at once.
 *
 * The file always holds one more than the incarnation in use: written at start (`begin`), and again after
 * each refutation (`used`), before or soon after the refutation's news leaves.
 */
export class IncarnationStore {
  private readonly file: string
  private written = -1
  private wanted = -1
  private writing: Promise<void> = Promise.resolve()
  private failure: unknown

  constructor (dataDir: string, private readonly options: AtomicWriteOptions = {}) {
    this.file = join(dataDir, INCARNATION_FILE)
  }

  /** Reads the incarnation to start at and stores one above it. A missing file means a first start (0). */
  async begin (): Promise<number> {
    const start = await this.read()
    this.wanted = start + 1
    await this.write(start + 1)
    return start
  }

  /** Records that `incarnation` is in use (after a refutation). Writes are serialised and coalesced. */
  used (incarnation: number): void {
    if (incarnation + 1 <= this.wanted) return
    this.wanted = incarnation + 1
    this.writing = this.writing.then(async () => {
      if (this.wanted <= this.written) return
      try {
        await this.write(this.wanted)
      } catch (err) {
        this.failure = err
      }
    })
  }

  /** Waits for pending writes; rejects with the last write failure, if any. */
  async flush (): Promise<void> {
    await this.writing
    if (this.failure !== undefined) throw this.failure
  }

  private async read (): Promise<number> {
    let text: string
    try {
      text = await readFile(this.file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0
      throw err
    }
    let next: unknown
    try {
      const parsed = JSON.parse(text) as { version?: unknown, next?: unknown }
      if (parsed.version !== FORMAT_VERSION) throw new Error(`unknown version ${String(parsed.version)}`)
      next = parsed.next
    } catch (err) {
      throw new Error(`the incarnation file ${this.file} is malformed (${(err as Error).message})`, { cause: err })
    }
    if (typeof next !== 'number' || !Number.isSafeInteger(next) || next < 0 || next >= 0xffffffff) {
      throw new Error(`the incarnation file ${this.file} holds ${String(next)}, not an incarnation`)
    }
    return next
  }

  private async write (next: number): Promise<void> {
    await writeFileAtomic(this.file, new TextEncoder().encode(JSON.stringify({ version: FORMAT_VERSION, next }) + '\n'), { ...this.options, mode: 0o600 })
    this.written = Math.max(this.written, next)
  }
}
