import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { memory } from '@libp2p/memory'
import { multiaddr } from '@multiformats/multiaddr'
import { Registry } from 'prom-client'
import type { MemberView } from '@dreammesh/protocols'
import { createHost, generateClusterCode, parseClusterCode, type DreamHost } from '../src/index.js'
import { INSTANCES_TOPIC, InstanceBoard } from '../src/agent/instance-board.js'
import { decodeInstanceReport, encodeInstanceReport, INSTANCE_REPORT_VERSION, MAX_REPORTED_INSTANCES } from '../src/agent/instance-report.js'
import { waitUntil } from './wait.js'

/**
 * Issue 5: instance status "is gossiped, so that `ps` on any node shows the truth". Two real hosts over
 * @libp2p/memory with gossipsub (StrictSign); membership is the seam `memberOf`, answered from a set.
 */

const RUN = `dreammesh-board-${process.pid}-${Date.now().toString(36)}`
const CODE = parseClusterCode(generateClusterCode().text)
const alive = (id: string): MemberView => ({ id, incarnation: 1, state: 'alive', metaVersion: 0, meta: { name: id, role: 'server', addrs: [], tags: [], state: new Uint8Array(0) } }) as unknown as MemberView

describe('InstanceBoard (instance status over gossipsub)', function () {
  this.timeout(20_000)
  const hosts: DreamHost[] = []
  const boards: InstanceBoard[] = []
  const members = new Set<string>()
  const drops: string[] = []

  before(async () => {
    for (let i = 0; i < 2; i++) {
      hosts.push(await createHost({ privateKey: await generateKeyPair('Ed25519'), listen: [`/memory/${RUN}-${i}`], transports: [memory()], admission: { mode: 'private', code: CODE }, mdns: false, registry: new Registry() }))
    }
    await hosts[0].dial(multiaddr(hosts[1].getMultiaddrs()[0].toString()))
    for (const h of hosts) members.add(h.peerId.toString())
    for (const h of hosts) {
      const board = new InstanceBoard({ host: h, selfId: h.peerId.toString(), memberOf: id => members.has(id) ? alive(id) : undefined, selfIncarnation: () => 1, onDrop: r => { drops.push(r) }, onChanged: () => {} })
      board.start()
      boards.push(board)
    }
    await waitUntil('the gossipsub mesh forms', () => hosts.every(h => h.services.pubsub.getSubscribers(INSTANCES_TOPIC).length === 1), 10_000)
  })

  after(async () => {
    for (const b of boards) b.stop()
    await Promise.allSettled(hosts.map(async h => { await h.stop() }))
  })

  it('a node\'s instances appear on the other node\'s board, and a newer report replaces them whole', async () => {
    const a = hosts[0].peerId.toString()
    boards[0].setLocal([{ workload: 'web', index: 0, state: 'running', pid: 4242, epoch: 7, since: 1_700_000_000_000 }])
    await waitUntil('b sees web/0 on a', () => boards[1].all().some(i => i.node === a && i.workload === 'web' && i.pid === 4242))
    boards[0].setLocal([{ workload: 'web', index: 0, state: 'stopping', pid: 4242, epoch: 7, since: 1_700_000_001_000 }])
    await waitUntil('b sees it stopping', () => boards[1].all().some(i => i.node === a && i.state === 'stopping'))
    assert.equal(boards[1].all().filter(i => i.node === a).length, 1)
  })

  it('forgets a node that is gone, and ignores reports of non-members', async () => {
    const a = hosts[0].peerId.toString()
    boards[1].forget(a)
    members.delete(a)
    assert.equal(boards[1].all().filter(i => i.node === a).length, 0)
    boards[0].setLocal([{ workload: 'db', index: 0, state: 'running', epoch: 1, since: 0 }])
    await waitUntil('the report is dropped as not-a-member', () => drops.includes('not-a-member'))
    assert.equal(boards[1].all().filter(i => i.node === a).length, 0)
    members.add(a)
  })

  it('a malformed report is rejected and counted, never thrown', async () => {
    const before = drops.length
    await hosts[0].services.pubsub.publish(INSTANCES_TOPIC, new TextEncoder().encode('{"v":2,"incarnation":0,"seq":99,"instances":[{"workload":"","index":-1}]}'))
    await waitUntil('the bad report is dropped', () => drops.slice(before).includes('invalid-field'))
  })

  it('the codec bounds and checks every field', () => {
    const ok = (i: unknown): boolean => decodeInstanceReport(new TextEncoder().encode(JSON.stringify({ v: INSTANCE_REPORT_VERSION, incarnation: 0, seq: 1, instances: [i] }))).ok
    assert.equal(ok({ workload: 'w', index: 0, state: 'running', epoch: 1, since: 5 }), true)
    assert.equal(ok({ workload: 'w', index: 0, state: 'sleeping', epoch: 1, since: 5 }), false)
    assert.equal(ok({ workload: 'w', index: 0.5, state: 'running', epoch: 1, since: 5 }), false)
    assert.equal(ok({ workload: 'w', index: 0, state: 'running', epoch: 1, since: 5, pid: -3 }), false)
    const many = Array.from({ length: MAX_REPORTED_INSTANCES + 1 }, (_, i) => ({ workload: 'w', index: i, state: 'running' as const, epoch: 1, since: 0 }))
    const r = decodeInstanceReport(encodeInstanceReport({ v: INSTANCE_REPORT_VERSION, incarnation: 0, seq: 1, instances: many }))
    assert.deepEqual(r, { ok: false, reason: 'too-many' })
    assert.deepEqual(decodeInstanceReport(new Uint8Array([0xff, 0xfe])), { ok: false, reason: 'malformed' })
    assert.deepEqual(decodeInstanceReport(new TextEncoder().encode('{"v":1,"seq":1,"instances":[]}')), { ok: false, reason: 'version' })
  })
})
