import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LeaseFileError, LeaseStore } from '../src/leases/lease-store.js'

/** The lease file's holder ballots (a restarted node asks above them) and its versions. */
describe('lease store: ballots and file versions', () => {
  let dir: string
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'dreammesh-lease-store-')) })
  afterEach(() => { rmSync(dir, { recursive: true, force: true }) })
  const file = (): string => join(dir, 'leases.json')

  it('keeps the highest ballot per resource across a restart, in a version 2 file', async () => {
    const store = await LeaseStore.open(dir)
    await store.persist({ id: 1, records: [{ type: 'ballot', resource: 'w/a/0', epoch: 7 }, { type: 'ballot', resource: 'w/a/0', epoch: 3 }] })
    assert.equal((JSON.parse(readFileSync(file(), 'utf8')) as { format: number }).format, 2)
    const again = await LeaseStore.open(dir)
    assert.deepEqual(again.restart(100)?.ballots, [{ resource: 'w/a/0', epoch: 7 }])
  })

  it('reads a version 1 file (no ballots); refuses ballots that are not a list, or malformed', async () => {
    writeFileSync(file(), JSON.stringify({ format: 1, grants: [] }))
    assert.equal((await LeaseStore.open(dir)).restart(0), undefined)
    writeFileSync(file(), JSON.stringify({ format: 2, grants: [], ballots: { 'w/a/0': 3 } }))
    await assert.rejects(LeaseStore.open(dir), (err: Error) => err instanceof LeaseFileError && /ballots are not a list/.test(err.message))
    writeFileSync(file(), JSON.stringify({ format: 2, grants: [], ballots: [{ resource: 'w/a/0', epoch: 'x' }] }))
    await assert.rejects(LeaseStore.open(dir), (err: Error) => err instanceof LeaseFileError && /ballot record is malformed/.test(err.message))
    writeFileSync(file(), JSON.stringify({ format: 3, grants: [] }))
    await assert.rejects(LeaseStore.open(dir), (err: Error) => err instanceof LeaseFileError && /not a version 1 or 2 lease file/.test(err.message))
  })
})
