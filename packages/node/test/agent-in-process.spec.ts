import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { memory } from '@libp2p/memory'
import { localTestConfig, localTestLeaseConfig } from '@dreammesh/protocols'
import { createDreamNode, generateClusterCode, type DreamNode } from '../src/index.js'
import { waitUntil } from './wait.js'

/**
 * Issue 5's path end to end, in one process: three real nodes over @libp2p/memory with workloads on. A
 * `service` written into the desired state on one node is placed, leased and started as a real process on
 * exactly one node; when that node stops, another starts it only after the lease ran out, and at no
 * sampled instant do two nodes run it. Needs cgroups (root), as CI has.
 */

const RUN = `dreammesh-agent-${process.pid}-${Date.now().toString(36)}`

describe('workloads in one process: desired state -> placement -> lease -> process', function () {
  this.timeout(60_000)
  let root: string
  const nodes: DreamNode[] = []

  before(async function () {
    if (process.getuid?.() !== 0) this.skip()
    root = await mkdtemp(join(tmpdir(), 'dreammesh-agent-'))
    const code = generateClusterCode().text
    for (let i = 0; i < 3; i++) {
      const node = await createDreamNode({
        dataDir: join(root, `n${i}`),
        name: `n${i}`,
        config: localTestConfig(),
        listen: [`/memory/${RUN}-${i}`],
        transports: [memory()],
        mdns: false,
        cluster: code,
        sampleIntervalMs: 200,
        workloads: true,
        leaseConfig: localTestLeaseConfig(),
        ...(i === 0 ? {} : { bootstrap: nodes[0].getMultiaddrs().map(String) })
      })
      await node.start()
      nodes.push(node)
    }
    await waitUntil('3 nodes converge', () => nodes.every(n => n.members().filter(m => m.state === 'alive').length === 2))
  })

  after(async () => {
    await Promise.allSettled(nodes.map(async n => { await n.stop() }))
    if (root !== undefined) await rm(root, { recursive: true, force: true })
  })

  /** The nodes whose own supervisor runs web/0 now. */
  const runners = (among: DreamNode[]): DreamNode[] => among.filter(n => (n.workloads?.instances() ?? []).some(i =>
    i.node === n.peerId.toString() && i.workload === 'web' && (i.state === 'running' || i.state === 'starting')))

  it('a service runs on exactly one node, as a real process every node reports', async () => {
    await nodes[0].desiredState.setVoters(nodes.map(n => n.peerId.toString()))
    await nodes[0].desiredState.setWorkload('web', { name: 'web', kind: 'service', command: '/bin/sleep', args: ['300'] })
    await waitUntil('one node runs web/0', () => runners(nodes).length === 1, 20_000)
    const holder = runners(nodes)[0]
    await waitUntil('every node reports it there', () => nodes.every(n => n.workloads?.instances().some(i => i.workload === 'web' && i.node === holder.peerId.toString() && i.state === 'running') === true))
    const pid = holder.workloads?.instances().find(i => i.node === holder.peerId.toString())?.pid
    assert.ok(pid !== undefined && existsSync(`/proc/${pid}`), `web/0's process ${pid} exists`)
  })

  it('when its node stops, another node runs it, never two at once', async () => {
    const holder = runners(nodes)[0]
    const pid = holder.workloads?.instances().find(i => i.node === holder.peerId.toString())?.pid
    const rest = nodes.filter(n => n !== holder)
    let overlap = 0
    const sampler = setInterval(() => { if (runners(nodes).length > 1) overlap++ }, 10)
    try {
      await holder.stop()
      await waitUntil('another node runs web/0', () => runners(rest).length === 1, 20_000)
    } finally {
      clearInterval(sampler)
    }
    assert.equal(overlap, 0, 'two nodes ran web/0 at one sampled instant')
    assert.ok(pid === undefined || !existsSync(`/proc/${pid}`), 'the old process is gone')
  })
})
