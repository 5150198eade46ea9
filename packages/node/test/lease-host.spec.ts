import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { localTestLeaseConfig, type LeaseEvent } from '@dreammesh/protocols'
import type { DreamHost } from '../src/index.js'
import { LeaseHost } from '../src/leases/lease-host.js'
import { LEASE_FILE } from '../src/leases/lease-store.js'
import { createMemoryHosts } from './support/memory-hosts.js'
import { waitUntil } from './wait.js'

/**
 * The lease machine over real libp2p (three hosts over @libp2p/memory, each a voter), with grants made
 * durable in real data dirs. A holder that crashes (no release) is succeeded only after its lease ran out:
 * all hosts share one process, so their monotonic clocks are the same clock and the times compare directly.
 */

const RUN = `dreammesh-lease-${process.pid}-${Date.now().toString(36)}`
const RESOURCE = 'w/web/0'

interface Peer { host: DreamHost, lease: LeaseHost, events: Array<LeaseEvent & { atMs: number }>, dataDir: string }

describe('leases over libp2p (LeaseHost)', function () {
  this.timeout(30_000)
  let root: string
  const peers: Peer[] = []

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'dreammesh-lease-'))
    const hosts = await createMemoryHosts(3, RUN)
    const voters = hosts.map(h => h.peerId.toString())
    for (const [i, host] of hosts.entries()) {
      const events: Peer['events'] = []
      const dataDir = join(root, `n${i}`)
      await import('node:fs/promises').then(async fs => await fs.mkdir(dataDir))
      const lease = await LeaseHost.create({ node: host, dataDir, voters, config: localTestLeaseConfig(), onEvent: e => { events.push({ ...e, atMs: performance.now() }) } })
      await lease.start()
      peers.push({ host, lease, events, dataDir })
    }
  })

  after(async () => {
    for (const p of peers) {
      await p.lease.stop().catch(() => {})
      await Promise.resolve(p.host.stop()).catch(() => {})
    }
    await rm(root, { recursive: true, force: true })
  })

  const acquired = (p: Peer): Array<Extract<LeaseEvent, { type: 'acquired' }> & { atMs: number }> =>
    p.events.filter((e): e is Extract<LeaseEvent, { type: 'acquired' }> & { atMs: number } => e.type === 'acquired' && e.resource === RESOURCE)

  it('one node acquires a resource through a quorum; a second contender does not while it renews', async () => {
    const [a, b] = peers
    a.lease.acquire(RESOURCE)
    await waitUntil('a acquires', () => acquired(a).length === 1)
    b.lease.acquire(RESOURCE)
    // Several lease periods: a renews each time, b keeps asking and is refused.
    await waitUntil('a renews a few times', () => a.events.filter(e => e.type === 'renewed').length >= 6)
    assert.equal(acquired(b).length, 0, 'b acquired while a held the lease')
  })

  it('what a voter granted is on disk', async () => {
    const files = await Promise.all(peers.map(async p => await readFile(join(p.dataDir, LEASE_FILE), 'utf8').catch(() => '')))
    assert.ok(files.filter(f => f.includes(RESOURCE)).length >= 2, 'a quorum of voters wrote the grant')
  })

  it('a holder that crashes is succeeded only after its lease ran out, with a higher epoch', async () => {
    const [a, b] = peers
    // A crash: no release, its timers stop, its connections go.
    await a.lease.stop()
    const crashedAt = performance.now()
    const lastA = [...a.events].reverse().find(e => (e.type === 'acquired' || e.type === 'renewed') && e.resource === RESOURCE) as Extract<LeaseEvent, { type: 'renewed' }>
    await a.host.stop()
    await waitUntil('b acquires', () => acquired(b).length === 1, 10_000)
    const got = acquired(b)[0]
    assert.ok(got.atMs >= lastA.validUntilMs, `b acquired at ${got.atMs.toFixed(0)}, before a's lease ran out at ${lastA.validUntilMs.toFixed(0)} (crash at ${crashedAt.toFixed(0)})`)
    assert.ok(got.epoch > lastA.epoch, `epoch ${got.epoch} after ${lastA.epoch}`)
  })
})
