import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { DurableRecord, GrantRecord, LeaseRestart, PersistRequest, VoterSetRecord } from '@dreammesh/protocols'
import { writeFileAtomic } from '../identity/atomic-file.js'

/** The file in the data dir that holds what this node granted as a lease voter. */
export const LEASE_FILE = 'leases.json'
/** Its format version; an unknown version is refused rather than misread. */
const FORMAT = 2
/**
 * Version 1 had no holder ballots; it is read (as having none). Version 2 is refused by a version-1 node
 * rather than read without its ballots, which would let a restarted node ask again under an old epoch.
 */
const READABLE_FORMATS = [1, 2]

interface LeaseFile {
  format: number
  grants: GrantRecord[]
  voters?: VoterSetRecord
  /** The highest ballot this node asked for per resource, as a holder (absent in files before it). */
  ballots?: Array<{ resource: string, epoch: number }>
}

/** The lease file exists but cannot be trusted; the node refuses to vote on guesses. */
export class LeaseFileError extends Error {
  constructor (file: string, why: string) {
    super(`${file}: ${why}. It records what this node granted as a lease voter; move it aside only if this ` +
      'node has been stopped for longer than a lease (a few seconds), so that nothing it granted is still held.')
    this.name = 'LeaseFileError'
  }
}

/**
 * What a lease voter must not forget across a crash (ADR 0009): the latest grant per resource and its
 * voter-set record, in `<data dir>/leases.json`, replaced atomically (write, fsync, rename, fsync the dir).
 *
 * Writes are serialised and coalesced: requests that arrive while a write is in flight are written together
 * by the next one, and each request is acknowledged only once a write that includes it is durable.
 */
export class LeaseStore {
  private readonly grants = new Map<string, GrantRecord>()
  private readonly ballots = new Map<string, number>()
  private voters: VoterSetRecord | undefined
  private waiting: Array<{ id: number, resolve: () => void, reject: (err: Error) => void }> = []
  private writing: Promise<void> | undefined

  private constructor (private readonly file: string) {}

  /** Opens the store of `dataDir`, reading what a previous run persisted. */
  static async open (dataDir: string): Promise<LeaseStore> {
    const store = new LeaseStore(join(dataDir, LEASE_FILE))
    let text: string | undefined
    try {
      text = await readFile(store.file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
    if (text !== undefined) store.load(text)
    return store
  }

  /** What to hand a new LeaseMachine: everything persisted, with the local time of this restart. */
  restart (restartedAtMs: number): LeaseRestart | undefined {
    if (this.grants.size === 0 && this.voters === undefined && this.ballots.size === 0) return undefined
    return {
      restartedAtMs,
      grants: [...this.grants.values()],
      ...(this.voters === undefined ? {} : { voters: this.voters }),
      ballots: [...this.ballots].map(([resource, epoch]) => ({ resource, epoch }))
    }
  }

  /** Makes `request`'s records durable; resolves once they are on disk. */
  async persist (request: PersistRequest): Promise<void> {
    for (const r of request.records) this.apply(r)
    const done = new Promise<void>((resolve, reject) => { this.waiting.push({ id: request.id, resolve, reject }) })
    this.kick()
    await done
  }

  private apply (r: DurableRecord): void {
    if (r.type === 'grant') this.grants.set(r.record.resource, r.record)
    else if (r.type === 'ballot') this.ballots.set(r.resource, Math.max(r.epoch, this.ballots.get(r.resource) ?? 0))
    else this.voters = r.record
  }

  private kick (): void {
    if (this.writing !== undefined) return
    const batch = this.waiting
    if (batch.length === 0) return
    this.waiting = []
    const body: LeaseFile = {
      format: FORMAT,
      grants: [...this.grants.values()],
      ...(this.voters === undefined ? {} : { voters: this.voters }),
      ballots: [...this.ballots].map(([resource, epoch]) => ({ resource, epoch }))
    }
    this.writing = writeFileAtomic(this.file, Buffer.from(JSON.stringify(body)))
      .then(() => { for (const w of batch) w.resolve() }, (err: Error) => { for (const w of batch) w.reject(err) })
      .finally(() => {
        this.writing = undefined
        this.kick()
      })
  }

  private load (text: string): void {
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch (err) {
      throw new LeaseFileError(this.file, `not JSON (${(err as Error).message})`)
    }
    const f = body as Partial<LeaseFile>
    if (typeof body !== 'object' || body === null || !READABLE_FORMATS.includes(f.format as number) || !Array.isArray(f.grants)) {
      throw new LeaseFileError(this.file, `not a version ${READABLE_FORMATS.join(' or ')} lease file`)
    }
    for (const g of f.grants) {
      if (typeof g?.resource !== 'string' || !Number.isInteger(g.epoch) || typeof g.holder !== 'string' || typeof g.expiresAtMs !== 'number') {
        throw new LeaseFileError(this.file, 'a grant record is malformed')
      }
      this.grants.set(g.resource, g)
    }
    if (f.voters !== undefined) this.voters = f.voters
    if (f.ballots !== undefined && !Array.isArray(f.ballots)) throw new LeaseFileError(this.file, 'its ballots are not a list')
    for (const b of f.ballots ?? []) {
      if (typeof b?.resource !== 'string' || !Number.isInteger(b.epoch)) throw new LeaseFileError(this.file, 'a ballot record is malformed')
      this.ballots.set(b.resource, b.epoch)
    }
  }
}
