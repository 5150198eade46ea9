import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { memory } from '@libp2p/memory'
import { localTestConfig } from '@dreammesh/protocols'
import { createDreamNode, FAST_COPY_REASONS, generateClusterCode, type DreamNode } from '../src/index.js'
import { metricValue } from './support/metrics.js'

/**
 * Issue 4, section 5, "in one process": 10 real nodes (libp2p 3, noise, yamux, identify, ping) over
 * @libp2p/memory, running the unmodified membership machine on the real clock.
 */

const NODES = 10
/** The longest any one condition may take to become true, in ms. A bound, not an expected speed. */
const CONVERGE_BUDGET_MS = 10_000
/** Granularity of polling, in ms. */
const POLL_MS = 20

/** Every node of this mesh holds the same code, so the whole mesh runs behind pnet. */
const CODE = generateClusterCode().text

/** Memory addresses live in one process-wide table: unique per run. */
const RUN = `dreammesh-mesh-${process.pid}-${Date.now().toString(36)}`

async function waitUntil (what: string, done: () => boolean): Promise<void> {
  const deadline = performance.now() + CONVERGE_BUDGET_MS
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`not within ${CONVERGE_BUDGET_MS} ms: ${what}`)
    await new Promise(resolve => setTimeout(resolve, POLL_MS))
  }
}

function stateOf (observer: DreamNode, id: string): string | undefined {
  return observer.members().find(m => m.id === id)?.state
}

function connectedPeers (node: DreamNode): number {
  return new Set(node.libp2p.getConnections().filter(c => c.status === 'open').map(c => c.remotePeer.toString())).size
}

function liveCount (node: DreamNode): number {
  return node.members().filter(m => m.state === 'alive').length
}

describe('in-process mesh: 10 real nodes over @libp2p/memory', function () {
  this.timeout(60_000)

  let root: string
  const running = new Set<DreamNode>()

  async function startNode (index: number, bootstrap: string[]): Promise<DreamNode> {
    const node = await createDreamNode({
      dataDir: join(root, `node-${index}`),
      name: `node-${index}`,
      role: index % 3 === 0 ? 'client' : 'server',
      tags: [`index:${index}`],
      config: localTestConfig(),
      listen: [`/memory/${RUN}-${index}`],
      transports: [memory()],
      bootstrap,
      cluster: CODE,
      mdns: false,
      dialTimeoutMs: 2_000
    })
    running.add(node)
    await node.start()
    return node
  }

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'dreammesh-mesh-'))
  })

  after(async () => {
    await Promise.allSettled([...running].map(async n => { await n.stop() }))
    await rm(root, { recursive: true, force: true })
  })

  it('converges, marks a killed node dead, and sees it alive again with a higher incarnation after a restart', async () => {
    const first = await startNode(0, [])
    const seed = first.getMultiaddrs().map(String)
    const nodes = [first, ...await Promise.all(Array.from({ length: NODES - 1 }, async (_, i) => await startNode(i + 1, seed)))]

    await waitUntil('every node sees 9 live members', () => nodes.every(n => liveCount(n) === NODES - 1))
    // libp2p 3 does not auto-dial: every node dialed the members it learned of, so probes have direct paths.
    await waitUntil('every node holds a connection to every other', () => nodes.every(n => connectedPeers(n) === NODES - 1))
    for (const n of nodes) {
      assert.deepEqual(n.members().map(m => m.meta.name).sort(), nodes.filter(o => o !== n).map(o => o.self().meta.name).sort())
      // Each node published its first resource record, and /metrics says why it published it.
      assert.equal(await metricValue(n.registry, 'dreammesh_resource_records', { what: 'published_first' }), 1)
      // Only records in FAST_COPY_REASONS took the gossipsub copy as well (a CPU average did not).
      let fast = 0
      for (const reason of FAST_COPY_REASONS) fast += await metricValue(n.registry, 'dreammesh_resource_records', { what: `published_${reason}` })
      const routine = await metricValue(n.registry, 'dreammesh_resource_records', { what: 'published' }) - fast
      assert.equal(await metricValue(n.registry, 'gossipsub_msg_publish_count_total', { topic: 'resources' }), fast, `fast copies (${routine} routine records took membership alone)`)
    }

    // Kill the last node: connections reset, timers stopped, no leave.
    const victimIndex = NODES - 1
    const victim = nodes[victimIndex]
    const victimId = victim.peerId.toString()
    const incarnationBefore = victim.self().incarnation
    const survivors = nodes.slice(0, victimIndex)
    const deadEvents = new Set<string>()
    for (const s of survivors) {
      s.addEventListener('member:dead', event => { if (event.detail.member.id === victimId) deadEvents.add(s.peerId.toString()) })
    }
    await victim.stop({ abortConnections: true })
    running.delete(victim)

    await waitUntil('every survivor marks the killed node dead', () => survivors.every(s => stateOf(s, victimId) === 'dead'))
    assert.equal(deadEvents.size, survivors.length, 'every survivor emitted member:dead')
    for (const s of survivors) assert.equal(liveCount(s), NODES - 2)

    // Restart from the same data dir: the same peer id, a higher incarnation, alive everywhere.
    const joinedAgain = new Set<string>()
    for (const s of survivors) {
      s.addEventListener('member:joined', event => { if (event.detail.member.id === victimId) joinedAgain.add(s.peerId.toString()) })
    }
    const restarted = await startNode(victimIndex, seed)
    assert.equal(restarted.peerId.toString(), victimId, 'the identity survives a restart')
    assert.ok(restarted.self().incarnation > incarnationBefore, 'the restart starts above the last incarnation')

    await waitUntil('every survivor sees the restarted node alive, and it sees them', () =>
      survivors.every(s => stateOf(s, victimId) === 'alive') && liveCount(restarted) === NODES - 1)
    for (const s of survivors) {
      const seen = s.members().find(m => m.id === victimId)
      assert.ok(seen !== undefined && seen.incarnation > incarnationBefore, `${s.self().meta.name} sees incarnation ${String(seen?.incarnation)} > ${incarnationBefore}`)
    }
    assert.equal(joinedAgain.size, survivors.length, 'every survivor emitted member:joined for the restart')
  })
})
