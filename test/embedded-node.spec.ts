/**
 * The embedded API (issue 4, section 5): `@dreammesh/node` used from another tool exactly as its README
 * shows, through the package's public entry point only, over real TCP on loopback (mDNS off: it must never
 * multicast from this machine's own namespace).
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ApiClient, createDreamNode, generateClusterCode, localTestConfig, NodeApiSource, startApiServer } from '@dreammesh/node'
import type { DreamNode, MemberJson } from '@dreammesh/node'

/** A bound on each wait, not an expected speed. */
const BUDGET_MS = 15_000

async function until (what: string, done: () => boolean): Promise<void> {
  const deadline = performance.now() + BUDGET_MS
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`not within ${BUDGET_MS} ms: ${what}`)
    await new Promise(resolve => setTimeout(resolve, 25))
  }
}

describe('@dreammesh/node embedded in another tool', function () {
  this.timeout(60_000)
  let root: string
  const nodes: DreamNode[] = []

  before(async () => { root = await mkdtemp(join(tmpdir(), 'dreammesh-embed-')) })
  after(async () => {
    await Promise.allSettled(nodes.map(async n => { await n.stop() }))
    await rm(root, { recursive: true, force: true })
  })

  it('three nodes join over TCP, share resources, and report a leave and a crash through typed events', async () => {
    const cluster = generateClusterCode().text
    const make = async (name: string, bootstrap: string[]): Promise<DreamNode> => {
      const node = await createDreamNode({
        dataDir: join(root, name),
        name,
        cluster,
        config: localTestConfig(),
        listen: ['/ip4/127.0.0.1/tcp/0'],
        mdns: false,
        bootstrap
      })
      nodes.push(node)
      await node.start()
      return node
    }
    const a = await make('a', [])
    const seed = a.getMultiaddrs().map(String)
    const b = await make('b', seed)
    const c = await make('c', seed)

    const joined: string[] = []
    a.addEventListener('member:joined', event => { joined.push(event.detail.member.meta.name) })
    await until('everyone sees two live members', () => [a, b, c].every(n => n.members().filter(m => m.state === 'alive').length === 2))
    assert.equal(a.clusterId, b.clusterId)
    assert.ok(a.isPrivate)

    // Resources: every member's record reaches the others (sampled each second, first record at once).
    await until('a has resource records for b and c', () =>
      a.members().every(m => (a.resourcesOf(m)?.memTotalBytes ?? 0) > 0))
    const ofB = a.resourcesOf(a.member('b')!)!
    assert.ok(ofB.cpuCount >= 1 && ofB.uptimeSec > 0)

    // The local API, served from the embedding tool on its own socket, read with the client.
    const socketPath = join(root, 'embed-api.sock')
    const api = await startApiServer({ socketPath, source: new NodeApiSource(a, async () => {}), registry: a.registry })
    try {
      const client = new ApiClient({ socketPath })
      const members = await client.get<MemberJson[]>('/v1/members')
      assert.deepEqual(members.map(m => m.name).sort(), ['b', 'c'])
      assert.equal((await client.get<MemberJson>('/v1/members/c')).id, c.peerId.toString())
      const metrics = await (await fetchMetrics(socketPath))
      assert.match(metrics, /dreammesh_members\{state="alive"\} 2/)
      assert.match(metrics, /libp2p_/, 'libp2p\'s own metrics are in the same registry')
    } finally {
      await api.close()
    }

    // A graceful leave and a crash, as typed events.
    const left = new Promise<string>(resolve => { a.addEventListener('member:left', e => { resolve(e.detail.member.meta.name) }, { once: true }) })
    const dead = new Promise<string>(resolve => { a.addEventListener('member:dead', e => { resolve(e.detail.member.meta.name) }, { once: true }) })
    await b.leave()
    assert.equal(await left, 'b')
    await c.stop({ abortConnections: true })
    assert.equal(await dead, 'c')
    assert.equal(a.member('b')?.state, 'left')
    assert.equal(a.member('c')?.state, 'dead')
  })
})

/** GET /metrics over the unix socket with node:http (what Prometheus' node exporter textfile tools do). */
async function fetchMetrics (socketPath: string): Promise<string> {
  const { request } = await import('node:http')
  return await new Promise((resolve, reject) => {
    const req = request({ socketPath, path: '/metrics' }, res => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => { resolve(body) })
    })
    req.on('error', reject)
    req.end()
  })
}
