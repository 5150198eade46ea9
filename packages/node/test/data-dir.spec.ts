import assert from 'node:assert/strict'
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { CrashPoint, writeFileAtomic, type AtomicWriteStep } from '../src/identity/atomic-file.js'
import { DataDirError, openDataDir } from '../src/identity/data-dir.js'
import { IDENTITY_FILE, loadOrCreateIdentity } from '../src/identity/identity.js'
import { INCARNATION_FILE, IncarnationStore } from '../src/identity/incarnation.js'

describe('the data dir: identity and incarnation', () => {
  let root: string

  beforeEach(async () => { root = await mkdtemp(join(tmpdir(), 'dreammesh-datadir-')) })
  afterEach(async () => { await rm(root, { recursive: true, force: true }) })

  it('creates an Ed25519 identity with mode 0600 and loads the same one again', async () => {
    const dir = join(root, 'data')
    await openDataDir(dir)
    const first = await loadOrCreateIdentity(dir)
    assert.equal(first.type, 'Ed25519')
    assert.equal((await stat(join(dir, IDENTITY_FILE))).mode & 0o777, 0o600)
    assert.equal((await stat(dir)).mode & 0o777, 0o700)
    const again = await loadOrCreateIdentity(dir)
    assert.equal(peerIdFromPrivateKey(again).toString(), peerIdFromPrivateKey(first).toString())
  })

  it('refuses a malformed identity file instead of replacing it', async () => {
    await writeFile(join(root, IDENTITY_FILE), 'not a key')
    await assert.rejects(loadOrCreateIdentity(root), /not a valid Ed25519 key/)
    assert.equal(await readFile(join(root, IDENTITY_FILE), 'utf8'), 'not a key')
  })

  it('a data dir that cannot be created is a DataDirError that names it', async () => {
    // Running as root, permissions would not stop us; a path through a regular file always fails.
    await writeFile(join(root, 'file'), '')
    const dir = join(root, 'file', 'data')
    await assert.rejects(openDataDir(dir), (err: unknown) => err instanceof DataDirError && err.message.includes(dir) && /not usable/.test(err.message))
  })

  it('stores one above the incarnation in use: at each start, and after a refutation', async () => {
    assert.equal(await new IncarnationStore(root).begin(), 0)
    const second = new IncarnationStore(root)
    assert.equal(await second.begin(), 1)
    second.used(4)
    second.used(2)
    await second.flush()
    assert.equal(await new IncarnationStore(root).begin(), 5)
    assert.equal((await stat(join(root, INCARNATION_FILE))).mode & 0o777, 0o600)
  })

  for (const step of ['temp-written', 'temp-synced'] as AtomicWriteStep[]) {
    it(`a crash after ${step} leaves the old file whole, and the next open clears the litter`, async () => {
      const file = join(root, 'record')
      await writeFileAtomic(file, new TextEncoder().encode('old'))
      await assert.rejects(writeFileAtomic(file, new TextEncoder().encode('new'), {
        afterStep: s => { if (s === step) throw new CrashPoint(s) }
      }), CrashPoint)
      assert.equal(await readFile(file, 'utf8'), 'old')
      assert.equal((await readdir(root)).length, 2, 'the temp file is left, as a kill would leave it')
      await openDataDir(root)
      assert.deepEqual(await readdir(root), ['record'])
    })
  }

  it('a crash after the rename leaves the new file whole', async () => {
    const file = join(root, 'record')
    await writeFileAtomic(file, new TextEncoder().encode('old'))
    await assert.rejects(writeFileAtomic(file, new TextEncoder().encode('new'), {
      afterStep: s => { if (s === 'renamed') throw new CrashPoint(s) }
    }), CrashPoint)
    assert.equal(await readFile(file, 'utf8'), 'new')
    assert.deepEqual(await readdir(root), ['record'])
  })
})
