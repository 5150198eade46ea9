import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { memory } from '@libp2p/memory'
import { multiaddr } from '@multiformats/multiaddr'
import { localTestConfig } from '@dreammesh/protocols'
import { createDreamNode, generateClusterCode, NameTakenError, type DreamNode, type DreamNodeOptions } from '../src/index.js'
import { waitUntil } from './wait.js'

/**
 * Admission, leave and names with real nodes in one process (@libp2p/memory; pnet, noise and yamux as in
 * production). The multi-process versions over TCP and mDNS live in the root test/ folder.
 */

const RUN = `dreammesh-admit-${process.pid}-${Date.now().toString(36)}`
/** Direct dials the stranger makes to each member: each one must fail. */
const STRANGER_DIALS = 3

describe('in-process admission: only holders of the cluster code get in', function () {
  this.timeout(60_000)

  let root: string
  let counter = 0
  const running = new Set<DreamNode>()
  const code = generateClusterCode().text

  async function startNode (options: Partial<DreamNodeOptions> = {}): Promise<DreamNode> {
    const index = counter++
    const node = await createDreamNode({
      dataDir: join(root, `node-${index}`),
      name: `node-${index}`,
      config: localTestConfig(),
      listen: [`/memory/${RUN}-${index}`],
      transports: [memory()],
      mdns: false,
      dialTimeoutMs: 1_000,
      cluster: code,
      ...options
    })
    running.add(node)
    await node.start()
    return node
  }

  async function cluster (n: number): Promise<DreamNode[]> {
    const first = await startNode()
    const seed = first.getMultiaddrs().map(String)
    const rest = await Promise.all(Array.from({ length: n - 1 }, async () => await startNode({ bootstrap: seed })))
    const nodes = [first, ...rest]
    await waitUntil(`${n} nodes converge`, () => nodes.every(x => x.members().filter(m => m.state === 'alive').length === n - 1))
    return nodes
  }

  beforeEach(async () => { root = await mkdtemp(join(tmpdir(), 'dreammesh-admit-')) })
  afterEach(async () => {
    await Promise.allSettled([...running].map(async n => { await n.stop() }))
    running.clear()
    await rm(root, { recursive: true, force: true })
  })

  for (const stranger of ['a wrong code', 'no code (open mode)'] as const) {
    it(`a node with ${stranger} that dials members directly is rejected every time and never listed`, async () => {
      const members = await cluster(3)
      const outsider = await startNode(stranger === 'a wrong code'
        ? { cluster: generateClusterCode().text, bootstrap: members[0].getMultiaddrs().map(String) }
        : { cluster: undefined, insecureOpen: true, bootstrap: members[0].getMultiaddrs().map(String) })
      let rejected = 0
      for (const m of members) {
        for (let i = 0; i < STRANGER_DIALS; i++) {
          const addr = multiaddr(m.getMultiaddrs()[0].toString())
          await outsider.libp2p.dial(addr, { signal: AbortSignal.timeout(1_000) }).then(
            () => assert.fail('a stranger completed a connection'),
            () => { rejected++ })
        }
      }
      assert.equal(rejected, members.length * STRANGER_DIALS, 'every handshake the stranger tried was rejected')
      // Give membership time to spread anything it had (several probe and sync rounds of localTestConfig).
      await new Promise(resolve => setTimeout(resolve, 1_500))
      const outsiderId = outsider.peerId.toString()
      for (const m of members) {
        assert.ok(!m.members().some(x => x.id === outsiderId), 'the stranger is in no member list')
        assert.ok(!m.libp2p.getConnections().some(c => c.remotePeer.toString() === outsiderId), 'no member holds a connection to it')
      }
      assert.deepEqual(outsider.members(), [], 'the stranger learned no member')
    })
  }

  it('a graceful leave is seen as left (not dead) by every other member', async () => {
    const nodes = await cluster(4)
    const leaver = nodes[3]
    const id = leaver.peerId.toString()
    await leaver.leave()
    running.delete(leaver)
    const others = nodes.slice(0, 3)
    await waitUntil('every other member marks it left', () => others.every(o => o.members().find(m => m.id === id)?.state === 'left'))
  })

  it('a newcomer whose name a live member holds is refused and stops itself', async () => {
    const nodes = await cluster(3)
    const holder = nodes[1]
    let refusal: Error | undefined
    const dup = await createDreamNode({
      dataDir: join(root, 'dup'),
      name: holder.self().meta.name,
      config: localTestConfig(),
      listen: [`/memory/${RUN}-dup`],
      transports: [memory()],
      mdns: false,
      cluster: code,
      bootstrap: nodes[0].getMultiaddrs().map(String)
    })
    running.add(dup)
    const stopped = new Promise<void>(resolve => { dup.addEventListener('node:stopped', () => { resolve() }) })
    dup.addEventListener('node:name-taken', event => { refusal = event.detail.error })
    await dup.start()
    await stopped
    assert.ok(refusal instanceof NameTakenError, 'the newcomer says the name is taken')
    assert.match(refusal.message, new RegExp(holder.peerId.toString()))
    // The holder keeps its name and stays alive everywhere.
    const name = holder.self().meta.name
    await waitUntil('the holder is still alive everywhere, under its name', () => nodes.filter(n => n !== holder).every(n => {
      const m = n.member(holder.peerId.toString())
      return m?.state === 'alive' && m.meta.name === name
    }))
    // The refused newcomer is remembered (left) under the same name: the name alone is reported as ambiguous.
    const r = nodes[0].resolveMember(name)
    if (r.kind === 'ambiguous') assert.ok(r.candidates.some(m => m.id === holder.peerId.toString()))
    else assert.equal(r.kind === 'found' ? r.member.id : r.kind, holder.peerId.toString())
  })

  it('a revoked member (it holds the code) is hung up on everywhere and refused from then on', async () => {
    const nodes = await cluster(4)
    const [keeper, friend, other, thief] = nodes
    const thiefId = await keeper.revoke(thief.self().meta.name, 'stolen laptop')
    assert.equal(thiefId, thief.peerId.toString())
    await waitUntil('every other node has the deny record', () => [friend, other].every(n => n.desiredState.isDenied(thiefId)))
    await waitUntil('nobody is connected to the thief', () => thief.libp2p.getConnections().length === 0)
    // It still has the secret and keeps redialing: the gate refuses it, and it is soon dead to everyone.
    await waitUntil('the thief is dead everywhere', () => [keeper, friend, other].every(n => n.member(thiefId)?.state === 'dead'), 20_000)
    await new Promise(resolve => setTimeout(resolve, 2_500))
    assert.equal(thief.libp2p.getConnections().length, 0, 'the thief got a connection back')
    assert.equal(keeper.desiredState.denied().get(thiefId)?.reason, 'stolen laptop')
    await assert.rejects(keeper.revoke(keeper.self().meta.name), /cannot revoke itself/)
    await assert.rejects(keeper.revoke('no-such-node'), /no member is called/)
  })
})
