import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ApiClient } from '../src/api/client.js'
import { startLoopbackCluster, stopLoopbackCluster, type LoopbackCluster } from './support/loopback-cluster.js'
import { pollUntil } from './support/poll.js'

/**
 * The SDK for cluster-aware apps, through its example app (examples/peer-board) on three real `dreammesh
 * up` processes: an instance asks for more instances and gets them within min..max, each learns its peers
 * with their addresses, and one that leaves its node gets its stop notice and is re-placed on another node.
 */

const APP = resolve(fileURLToPath(import.meta.url), '../../../../../examples/peer-board/app.mjs')

interface Instance { node: string, nodeName: string, index: number, state: string, epoch: number }
interface Board { me: { index: number, node: string }, peers: Array<{ index: number, nodeName: string, addresses: string[] }> }

describe('sdk: a cluster-aware app on three `dreammesh up` processes', function () {
  this.timeout(180_000)
  let cluster: LoopbackCluster | undefined
  let dirs: LoopbackCluster['dirs']
  const basePort = 20_000 + Math.floor(Math.random() * 20_000)

  const running = async (): Promise<Instance[]> => {
    const ws = await ApiClient.forDataDir(dirs.alpha).get<Array<{ name: string, instances: Instance[] }>>('/v1/workloads')
    return ws.find(w => w.name === 'board')?.instances.filter(i => i.state === 'running') ?? []
  }
  const http = async (index: number, method: string, path: string): Promise<unknown> => {
    const res = await fetch(`http://127.0.0.1:${basePort + index}${path}`, { method })
    return await res.json()
  }

  before(async function () {
    if (process.getuid?.() !== 0) this.skip()
    cluster = await startLoopbackCluster('dreammesh-cli-sdk-')
    dirs = cluster.dirs
  })

  after(async () => {
    await stopLoopbackCluster(cluster)
  })

  it('grows on request, shows each instance its peers, and re-places one that leaves (after its stop notice)', async () => {
    await ApiClient.forDataDir(dirs.alpha).post('/v1/workloads', {
      name: 'board', kind: 'cluster-aware', minInstances: 1, maxInstances: 3,
      command: process.execPath, args: [APP], env: { PEER_BOARD_BASE_PORT: String(basePort) },
      // Node needs about a core for a moment to start; the default booking (0.1 core) is also its cgroup limit.
      resources: { cpuMillis: 1000, memoryBytes: 256 * 2 ** 20 }
    })
    await pollUntil(() => 'one instance (min) runs and serves', async () => (await running()).length === 1 &&
      await http(0, 'GET', '/').then(() => true, () => false), 30_000)

    // The instance asks for more than max: placement clamps to 3, one per node.
    assert.deepEqual(await http(0, 'POST', '/scale?n=5'), { ok: true, value: null })
    let now: Instance[] = []
    await pollUntil(() => `three instances on three nodes (now ${JSON.stringify(now)})`, async () => {
      now = await running()
      return now.length === 3 && new Set(now.map(i => i.node)).size === 3
    }, 30_000)
    let board: Board | undefined
    await pollUntil(() => `#0 sees #1 and #2 (last ${JSON.stringify(board)})`, async () => {
      board = await http(0, 'GET', '/').catch(() => undefined) as Board | undefined
      return board?.peers.map(p => p.index).join() === '1,2'
    }, 20_000)
    assert.ok(board!.peers.every(p => p.addresses.includes('127.0.0.1')), 'peers come with their addresses')

    // Back to two, then #1 leaves its node: it moves to the free one.
    await http(0, 'POST', '/scale?n=2')
    await pollUntil(() => 'two instances', async () => (now = await running()).length === 2, 30_000)
    const before = now.find(i => i.index === 1)!
    await pollUntil(() => '#1 serves', async () => await http(1, 'GET', '/').then(() => true, () => false), 20_000)
    const left = await http(1, 'POST', '/leave') as { ok: boolean, value: string }
    assert.equal(left.ok, true, JSON.stringify(left))
    assert.notEqual(left.value, before.node)
    await pollUntil(() => '#1 runs on its new node', async () => (await running()).some(i => i.index === 1 && i.node === left.value && i.epoch > before.epoch), 30_000)
    const oldDir = dirs[before.nodeName as keyof typeof dirs]
    const logs = readdirSync(join(oldDir, 'logs')).filter(f => f.includes('board') && f.includes('stdout'))
    const text = logs.map(f => readFileSync(join(oldDir, 'logs', f), 'utf8')).join('')
    assert.match(text, /stop notice: #1 is being stopped/)
  })

  it('an SDK call outside an instance says so clearly', async () => {
    const { ClusterInstance, NotAnInstanceError } = await import('../src/sdk/index.js')
    assert.throws(() => ClusterInstance.fromEnv({}), (err: Error) => err instanceof NotAnInstanceError && /DREAMMESH_WORKLOAD is not set/.test(err.message))
  })
})
