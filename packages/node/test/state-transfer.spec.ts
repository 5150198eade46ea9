import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DreamHost } from '../src/index.js'
import { packState, recoverStateDir, restoreState, stateDirOf, StateService, STATE_PROTOCOL } from '../src/state-transfer/index.js'
import { encodeLengthPrefixed } from '../src/transport/length-prefix.js'
import { createMemoryHosts } from './support/memory-hosts.js'
import { writeRawStream } from './support/raw-stream.js'
import { waitUntil } from './wait.js'

/**
 * The state transfer over real libp2p (two hosts over @libp2p/memory, each with its own data dir): the bytes
 * arrive intact and the archive is the same on both sides; a running instance's state is not served; a
 * snapshot is; bad requests are refused, counted, and the server keeps serving; a crash mid-restore leaves
 * a whole copy.
 */

const RUN = `dreammesh-state-${process.pid}-${Date.now().toString(36)}`
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

describe('state transfer (archives over libp2p)', function () {
  this.timeout(60_000)
  let root: string
  const hosts: DreamHost[] = []
  const services: StateService[] = []
  const dirs: string[] = []
  const drops: string[][] = [[], []]
  const running = new Set<string>()

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'dreammesh-state-'))
    hosts.push(...await createMemoryHosts(2, RUN))
    for (let i = 0; i < 2; i++) {
      const dir = join(root, `n${i}`)
      await mkdir(dir)
      dirs.push(dir)
    }
    for (let i = 0; i < 2; i++) {
      const s = new StateService({
        node: hosts[i],
        dataDir: dirs[i],
        isRunning: w => i === 0 && running.has(w),
        runningEpoch: w => i === 0 && running.has(w) ? 7 : undefined,
        onDrop: reason => { drops[i].push(reason) }
      })
      await s.start()
      services.push(s)
    }
  })

  after(async () => {
    for (const s of services) await s.stop()
    for (const h of hosts) await h.stop()
    if (root !== undefined) await rm(root, { recursive: true, force: true })
  })

  const peer0 = (): string => hosts[0].peerId.toString()

  async function writeState (workload: string, files: Record<string, Buffer>): Promise<void> {
    const dir = stateDirOf(dirs[0], workload)
    await mkdir(join(dir, 'sub'), { recursive: true })
    for (const [name, bytes] of Object.entries(files)) {
      await writeFile(join(dir, name), bytes)
      await utimes(join(dir, name), 1_700_000_000, 1_700_000_000)
    }
  }

  it('fetch brings the state dir intact; the archive sum is the same on both nodes', async () => {
    const blob = randomBytes(3 * 1024 * 1024 + 17)
    await writeState('notes', { blob, 'sub/small.txt': Buffer.from('hello\n') })
    const before = await services[0].checksum(peer0(), 'notes')
    const got = await services[1].fetch(peer0(), 'notes')
    assert.equal(got.sha256, before.sha256)
    const copy = await readFile(join(stateDirOf(dirs[1], 'notes'), 'blob'))
    assert.equal(sha(copy), sha(blob))
    assert.equal(await readFile(join(stateDirOf(dirs[1], 'notes'), 'sub', 'small.txt'), 'utf8'), 'hello\n')
    const after = await services[1].checksum(hosts[1].peerId.toString(), 'notes')
    assert.equal(after.sha256, before.sha256, 'the restored copy archives to the same bytes')
    // The sender keeps its copy.
    assert.ok(existsSync(join(stateDirOf(dirs[0], 'notes'), 'blob')))
  })

  it('a running instance is not fetched from (its state is not quiescent); a snapshot of it is taken', async () => {
    await writeState('live', { data: Buffer.from('v1') })
    running.add('live')
    try {
      await assert.rejects(services[1].fetch(peer0(), 'live'), /busy/)
      assert.ok(drops[0].includes('state-busy'))
      const meta = await services[1].pullSnapshot(peer0(), 'live')
      assert.equal(meta.epoch, 7)
      assert.equal(meta.from, peer0())
      assert.deepEqual(await services[0].snapshotInfo(hosts[1].peerId.toString(), 'live'), meta, 'the standby answers what it keeps')
      await services[1].restoreSnapshot(hosts[1].peerId.toString(), 'live')
      assert.equal(await readFile(join(stateDirOf(dirs[1], 'live'), 'data'), 'utf8'), 'v1')
    } finally {
      running.delete('live')
    }
  })

  it('garbage, an oversized request and an unknown op are refused and counted; the server keeps serving', async () => {
    const before = drops[0].length
    await writeRawStream(hosts[1], hosts[0].peerId, STATE_PROTOCOL, [new Uint8Array([0, 0, 0, 5, 1, 2, 3, 4, 5])])
    await writeRawStream(hosts[1], hosts[0].peerId, STATE_PROTOCOL, [new Uint8Array([0xff, 0xff, 0xff, 0xff])])
    await writeRawStream(hosts[1], hosts[0].peerId, STATE_PROTOCOL, [encodeLengthPrefixed(new TextEncoder().encode(JSON.stringify({ v: 1, op: 'delete', workload: 'notes' })))])
    await writeRawStream(hosts[1], hosts[0].peerId, STATE_PROTOCOL, [encodeLengthPrefixed(new TextEncoder().encode(JSON.stringify({ v: 1, op: 'fetch', workload: '../../etc' })))])
    await waitUntil('four drops counted', () => drops[0].length >= before + 4, 5_000)
    assert.deepEqual(drops[0].slice(before).sort(), ['state-bad-request', 'state-bad-request', 'state-malformed', 'state-oversized'])
    const still = await services[1].fetch(peer0(), 'notes')
    assert.match(still.sha256, /^[0-9a-f]{64}$/)
  })

  it('a restore cut short by a crash is finished or undone: the state dir is whole', async () => {
    const dir = join(root, 'crash', 'app')
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, 'old'), 'old copy')
    const archive = join(root, 'crash', 'new.tar')
    const src = join(root, 'crash-src')
    await mkdir(src)
    await writeFile(join(src, 'new'), 'new copy')
    await packState(src, archive)
    // A crash after the old copy was moved aside and before the new one was renamed in.
    const { rename } = await import('node:fs/promises')
    await rename(dir, `${dir}.previous`)
    await mkdir(`${dir}.incoming`)
    await recoverStateDir(dir)
    assert.equal(await readFile(join(dir, 'old'), 'utf8'), 'old copy', 'the old copy is back')
    assert.ok(!existsSync(`${dir}.incoming`) && !existsSync(`${dir}.previous`))
    await restoreState(archive, dir)
    assert.equal(await readFile(join(dir, 'new'), 'utf8'), 'new copy')
    assert.ok(!existsSync(join(dir, 'old')))
  })
})
