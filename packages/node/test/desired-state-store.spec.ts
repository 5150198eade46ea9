import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import * as Y from 'yjs'
import { DESIRED_STATE_DIR, MAX_RECORD_BYTES, MAX_VOTERS, SNAPSHOT_FILE, UPDATE_LOG_FILE } from '../src/desired-state/constants.js'
import { DesiredStateRefusedError, ROOT, type JsonObject } from '../src/desired-state/document.js'
import { LOG_MAGIC, parseRecords } from '../src/desired-state/record-file.js'
import { DesiredStateStore, type DesiredStateChange, type DesiredStateStoreOptions } from '../src/desired-state/store.js'

/**
 * The desired-state store on real files: what an acknowledged edit means (its record is on disk when the
 * promise resolves), reopening, a torn tail, compaction, refusals, and the convergence rule of each field
 * (docs/protocol/desired-state.md, "Concurrency"), with two stores exchanging updates by hand.
 */

async function peerId (): Promise<string> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
}

/** Sends everything each store lacks to it, both ways (what the sync does over libp2p). */
function exchange (a: DesiredStateStore, b: DesiredStateStore, aId: string, bId: string): void {
  const forB = a.diffSince(b.stateVector())
  const forA = b.diffSince(a.stateVector())
  assert.equal(b.applyRemote(forB, aId).applied, true)
  assert.equal(a.applyRemote(forA, bId).applied, true)
}

/** The document as canonical JSON, for comparing replicas (map iteration order may differ between them). */
function canonical (store: DesiredStateStore): string {
  return JSON.stringify(store.view(), (_key, value: unknown) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([x], [y]) => x < y ? -1 : 1))
  })
}

describe('desired-state store: a Yjs document persisted as a snapshot and an fsynced update log', function () {
  this.timeout(20_000)
  let root: string
  let editor: string
  let other: string
  const open: DesiredStateStore[] = []

  async function openStore (dir: string, options: Partial<DesiredStateStoreOptions> = {}): Promise<DesiredStateStore> {
    const store = await DesiredStateStore.open(dir, { editor, nowMs: () => 1_000, ...options })
    open.push(store)
    return store
  }

  before(async () => {
    editor = await peerId()
    other = await peerId()
  })
  beforeEach(async () => { root = await mkdtemp(join(tmpdir(), 'dreammesh-desired-')) })
  afterEach(async () => {
    await Promise.allSettled(open.splice(0).map(async s => { await s.close() }))
    await rm(root, { recursive: true, force: true })
  })

  it('reopening gives the same document: workloads, voters and the deny list', async () => {
    const dir = join(root, 'a')
    const store = await openStore(dir)
    await store.setWorkload('web', { image: 'nginx', replicas: 2, env: { A: '1' } })
    await store.setWorkload('db', { image: 'postgres' })
    await store.removeWorkload('db')
    await store.setVoters([other, editor, other])
    await store.deny(other, 'laptop stolen')
    const before = canonical(store)
    await store.close()

    const again = await openStore(dir)
    assert.equal(canonical(again), before)
    assert.deepEqual(again.workload('web'), { image: 'nginx', replicas: 2, env: { A: '1' } })
    assert.equal(again.workload('db'), undefined)
    assert.deepEqual(again.voters(), [editor, other].sort(), 'voters sorted, without repeats')
    assert.deepEqual(again.denied().get(other), { by: editor, atMs: 1_000, reason: 'laptop stolen' })
    assert.ok(again.isDenied(other))
    assert.equal(again.stats.loadedRecords, 5)
    assert.equal(again.stats.droppedTails, 0)
  })

  it('an edit is acknowledged only once its record is in the log file', async () => {
    const dir = join(root, 'a')
    const store = await openStore(dir)
    const log = join(dir, DESIRED_STATE_DIR, UPDATE_LOG_FILE)
    for (let i = 0; i < 5; i++) {
      // Several edits in flight at once share fsyncs (group commit); each still resolves only when on disk.
      await Promise.all([0, 1, 2].map(async j => {
        await store.setWorkload(`w${i}-${j}`, { i, j })
        const replica = new Y.Doc()
        for (const payload of parseRecords(await readFile(log), LOG_MAGIC, MAX_RECORD_BYTES).payloads) Y.applyUpdate(replica, payload)
        assert.deepEqual(replica.getMap(ROOT.workloads).get(`w${i}-${j}`), { i, j }, `w${i}-${j} resolved before its record was written`)
      }))
    }
    assert.equal(store.stats.appendedRecords, 15)
    assert.ok(store.stats.logSyncs <= 15)
  })

  it('a caller changing its spec object afterwards does not change the document', async () => {
    const store = await openStore(join(root, 'a'))
    const spec: JsonObject = { image: 'nginx', ports: [80] }
    await store.setWorkload('web', spec)
    spec.image = 'evil';
    (spec.ports as number[]).push(1)
    assert.deepEqual(store.workload('web'), { image: 'nginx', ports: [80] })
    const read = store.workload('web') as JsonObject
    read.image = 'changed'
    assert.equal(store.workload('web')?.image, 'nginx', 'reads are copies too')
  })

  for (const damage of ['torn', 'bad-checksum'] as const) {
    it(`a ${damage} last record is dropped and counted; the rest loads, and later appends follow the good records`, async () => {
      const dir = join(root, 'a')
      const store = await openStore(dir)
      await store.setWorkload('one', { n: 1 })
      await store.setWorkload('two', { n: 2 })
      await store.setWorkload('three', { n: 3, pad: 'x'.repeat(100) })
      await store.close()
      const log = join(dir, DESIRED_STATE_DIR, UPDATE_LOG_FILE)
      const size = (await stat(log)).size
      if (damage === 'torn') {
        // As a kill -9 in the middle of the append would leave it.
        await truncate(log, size - 40)
      } else {
        const bytes = await readFile(log)
        bytes[size - 10] ^= 0xff
        await writeFile(log, bytes)
      }

      const again = await openStore(dir)
      assert.deepEqual([...again.workloads().keys()].sort(), ['one', 'two'])
      assert.equal(again.stats.droppedTails, 1)
      assert.ok(again.stats.droppedTailBytes > 0)
      await again.setWorkload('four', { n: 4 })
      await again.close()

      const third = await openStore(dir)
      assert.deepEqual([...third.workloads().keys()].sort(), ['four', 'one', 'two'])
      assert.equal(third.stats.droppedTails, 0, 'the tail was cut off, so the new record is readable')
    })
  }

  it('a log past its bound is compacted into the snapshot, and reopening still gives the same document', async () => {
    const dir = join(root, 'a')
    const maxLogBytes = 4 * 1024
    const store = await openStore(dir, { maxLogBytes })
    for (let i = 0; i < 60; i++) await store.setWorkload(`w${i % 20}`, { i, pad: 'y'.repeat(200) })
    assert.ok(store.stats.compactions >= 2, `${store.stats.compactions} compactions`)
    const before = canonical(store)
    await store.close()
    const files = join(dir, DESIRED_STATE_DIR)
    assert.ok((await stat(join(files, SNAPSHOT_FILE))).size > 0)
    assert.ok((await stat(join(files, UPDATE_LOG_FILE))).size <= maxLogBytes + 1024, 'the log starts afresh after a compaction')
    const again = await openStore(dir, { maxLogBytes })
    assert.equal(canonical(again), before)
    assert.equal(again.workloads().size, 20)
  })

  it('a damaged snapshot is an error for a person, not a silent empty document', async () => {
    const dir = join(root, 'a')
    const store = await openStore(dir, { maxLogBytes: 256 })
    for (let i = 0; i < 5; i++) await store.setWorkload(`w${i}`, { pad: 'z'.repeat(100) })
    assert.ok(store.stats.compactions > 0)
    await store.close()
    const snapshot = join(dir, DESIRED_STATE_DIR, SNAPSHOT_FILE)
    const bytes = await readFile(snapshot)
    bytes[bytes.length - 5] ^= 0xff
    await writeFile(snapshot, bytes)
    await assert.rejects(DesiredStateStore.open(dir, { editor }), /snapshot .* is damaged .*move it away/)
  })

  it('refuses bad local edits with a reason, counts them, and leaves the document alone', async () => {
    const store = await openStore(join(root, 'a'), { maxWorkloadSpecBytes: 1024 })
    const refusals: Array<[string, () => Promise<void>]> = [
      ['invalid-workload-name', async () => { await store.setWorkload('', {}) }],
      ['invalid-workload-name', async () => { await store.setWorkload('n'.repeat(200), {}) }],
      ['invalid-workload-spec', async () => { await store.setWorkload('a', [] as unknown as JsonObject) }],
      ['invalid-workload-spec', async () => { await store.setWorkload('a', { when: new Date(0) } as unknown as JsonObject) }],
      ['invalid-workload-spec', async () => { await store.setWorkload('a', { n: Number.NaN }) }],
      ['workload-spec-too-large', async () => { await store.setWorkload('a', { pad: 'x'.repeat(2_000) }) }],
      ['invalid-peer-id', async () => { await store.deny('not-a-peer', 'x') }],
      ['invalid-peer-id', async () => { await store.setVoters([editor, 'nope']) }],
      ['deny-reason-too-long', async () => { await store.deny(other, 'r'.repeat(2_000)) }]
    ]
    const tooMany = await Promise.all(Array.from({ length: MAX_VOTERS + 1 }, peerId))
    refusals.push(['too-many-voters', async () => { await store.setVoters(tooMany) }])
    for (const [reason, edit] of refusals) {
      await assert.rejects(edit(), (err: unknown) => err instanceof DesiredStateRefusedError && err.reason === reason, reason)
    }
    assert.deepEqual(store.stats.refused, {
      'invalid-workload-name': 2, 'invalid-workload-spec': 3, 'workload-spec-too-large': 1, 'invalid-peer-id': 2,
      'deny-reason-too-long': 1, 'too-many-voters': 1
    })
    assert.equal(store.stats.appendedRecords, 0)
    assert.deepEqual(store.view(), { workloads: {}, voters: null, denied: {} })
  })

  it('a full document refuses local edits and remote updates, and says so', async () => {
    const store = await openStore(join(root, 'a'), { maxDocumentBytes: 4 * 1024 })
    await store.setWorkload('a', { pad: 'x'.repeat(2_000) })
    await assert.rejects(store.setWorkload('b', { pad: 'x'.repeat(2_500) }), (err: unknown) => err instanceof DesiredStateRefusedError && err.reason === 'document-full')
    const big = await openStore(join(root, 'b'), { editor: other })
    await big.setWorkload('c', { pad: 'y'.repeat(3_000) })
    assert.deepEqual(store.applyRemote(big.diffSince(store.stateVector()), other), { applied: false, reason: 'document-full' })
    assert.equal(store.workload('c'), undefined)
    assert.equal(store.stats.refused['document-full'], 2)
  })

  it('a remote update is checked, applied, announced and persisted like a local edit', async () => {
    const a = await openStore(join(root, 'a'))
    const b = await openStore(join(root, 'b'), { editor: other })
    const changes: DesiredStateChange[] = []
    const updates: string[] = []
    a.addEventListener('change', e => { changes.push(e.detail) })
    a.addEventListener('update', e => { updates.push(e.detail.origin.kind === 'remote' ? e.detail.origin.peer : 'local') })
    await a.setWorkload('mine', { n: 1 })
    await b.setWorkload('theirs', { n: 2 })
    await b.deny(editor, 'test')

    for (const garbage of [new Uint8Array([1, 2, 3, 4, 5, 6, 7]), new Uint8Array([255, 255, 255, 255, 15])]) {
      assert.deepEqual(a.applyRemote(garbage, other), { applied: false, reason: 'malformed-update' })
    }
    const result = a.applyRemote(b.diffSince(a.stateVector()), other)
    assert.equal(result.applied, true)
    if (result.applied) await result.persisted
    assert.deepEqual(changes.map(c => [c.origin, c.workloads, c.denied]), [
      [{ kind: 'local' }, ['mine'], []],
      [{ kind: 'remote', peer: other }, ['theirs'], [editor]]
    ])
    assert.deepEqual(updates, ['local', other])
    // Applying the same update again changes nothing, so nothing is written or announced.
    const appended = a.stats.appendedRecords
    const again = a.applyRemote(b.diffSince(new Uint8Array([0])), other)
    assert.equal(again.applied, true)
    assert.equal(a.stats.appendedRecords, appended)
    assert.equal(updates.length, 2)
    assert.equal(a.stats.refused['malformed-update'], 2)

    await a.close()
    const reopened = await openStore(join(root, 'a'))
    assert.deepEqual(reopened.workload('theirs'), { n: 2 })
    assert.ok(reopened.isDenied(editor))
  })

  it('entries a member wrote in a shape this version does not know are skipped by typed reads, never thrown on', async () => {
    const a = await openStore(join(root, 'a'))
    const rogue = new Y.Doc()
    rogue.getMap(ROOT.workloads).set('number', 42)
    rogue.getMap(ROOT.workloads).set('array', [1, 2])
    rogue.getMap(ROOT.workloads).set('ok', { image: 'x' })
    rogue.getMap(ROOT.denied).set(other, 'no record')
    rogue.getMap(ROOT.cluster).set('voters', { peers: 'x' })
    rogue.getMap('something-new').set('k', 'v')
    assert.equal(a.applyRemote(Y.encodeStateAsUpdate(rogue), other).applied, true)
    assert.deepEqual([...a.workloads().keys()], ['ok'])
    assert.equal(a.workload('number'), undefined)
    assert.equal(a.votersRecord(), undefined)
    assert.deepEqual(a.voters(), [])
    assert.equal(a.denied().size, 0)
    assert.ok(a.isDenied(other), 'a deny in an unknown shape still denies: revocation errs on the safe side')
    assert.equal(a.malformedEntries(), 4)
  })

  describe('concurrency: the rule of each field (docs/protocol/desired-state.md)', () => {
    let a: DesiredStateStore
    let b: DesiredStateStore
    beforeEach(async () => {
      a = await openStore(join(root, 'a'))
      b = await openStore(join(root, 'b'), { editor: other })
    })

    it('a workload spec is replaced whole: concurrent sets converge to one of them, the same on both', async () => {
      await a.setWorkload('web', { image: 'nginx', replicas: 1 })
      exchange(a, b, editor, other)
      await a.setWorkload('web', { image: 'nginx', replicas: 3 })
      await b.setWorkload('web', { image: 'caddy' })
      exchange(a, b, editor, other)
      assert.equal(canonical(a), canonical(b))
      const winner = a.workload('web')
      assert.ok([JSON.stringify({ image: 'nginx', replicas: 3 }), JSON.stringify({ image: 'caddy' })].includes(JSON.stringify(winner)), `whole, never merged: ${JSON.stringify(winner)}`)
    })

    it('a removal concurrent with a set: the set wins', async () => {
      await a.setWorkload('web', { v: 1 })
      exchange(a, b, editor, other)
      await a.removeWorkload('web')
      await b.setWorkload('web', { v: 2 })
      exchange(a, b, editor, other)
      assert.deepEqual(a.workload('web'), { v: 2 })
      assert.deepEqual(b.workload('web'), { v: 2 })
    })

    it('the deny list is add-wins: a deny concurrent with an allow of the same peer stays', async () => {
      const target = await peerId()
      await a.deny(target, 'first')
      exchange(a, b, editor, other)
      await a.allow(target)
      await b.deny(target, 'again')
      exchange(a, b, editor, other)
      assert.ok(a.isDenied(target))
      assert.ok(b.isDenied(target))
      assert.equal(a.denied().get(target)?.reason, 'again')
      assert.equal(canonical(a), canonical(b))
    })

    it('voters are one value: concurrent replacements converge to one whole list, never a union', async () => {
      const [p, q, r, s] = await Promise.all([peerId(), peerId(), peerId(), peerId()])
      await a.setVoters([p, q, r])
      await b.setVoters([p, q, s])
      exchange(a, b, editor, other)
      assert.equal(canonical(a), canonical(b))
      const voters = a.voters()
      assert.ok(JSON.stringify(voters) === JSON.stringify([p, q, r].sort()) || JSON.stringify(voters) === JSON.stringify([p, q, s].sort()), voters.join(','))
    })

    it('a denied peer never votes, whatever the voters record says', async () => {
      const [p, q, r] = await Promise.all([peerId(), peerId(), peerId()])
      await a.setVoters([p, q, r])
      await b.deny(q, 'revoked')
      exchange(a, b, editor, other)
      assert.deepEqual(a.voters(), [p, q, r].sort())
      assert.deepEqual(a.activeVoters(), [p, r].sort())
      assert.deepEqual(b.activeVoters(), [p, r].sort())
    })
  })
})
