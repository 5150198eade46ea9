import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { memory } from '@libp2p/memory'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { Registry } from 'prom-client'
import * as Y from 'yjs'
import { DESIRED_STATE_PROTOCOL } from '../src/desired-state/constants.js'
import { ROOT } from '../src/desired-state/document.js'
import { DesiredStateStore } from '../src/desired-state/store.js'
import { encodeSyncMessage } from '../src/desired-state/sync-message.js'
import { createDesiredStateSync, type DesiredStateSync, type DesiredStateSyncInit } from '../src/desired-state/sync.js'
import { createHost, type DreamHost } from '../src/host/libp2p-host.js'
import { generateClusterCode, parseClusterCode } from '../src/secret/cluster-code.js'
import { encodeLengthPrefixed } from '../src/transport/length-prefix.js'
import { ProcessGuard } from './support/process-guard.js'
import { writeRawStream } from './support/raw-stream.js'
import { fuzzSeed, SeededBytes } from './support/seeded-bytes.js'
import { waitUntil } from './wait.js'

/**
 * The desired state over real libp2p 3 hosts (pnet, noise, yamux) on @libp2p/memory: full sync on connect,
 * incremental updates after, forwarding across a mesh that is not complete, convergence after a partition,
 * and garbage from an admitted peer dropped and counted while the nodes keep syncing. Waits are bounded
 * polls, never wall-clock speeds.
 */

const RUN = `dreammesh-desired-${process.pid}-${Date.now().toString(36)}`
const CODE = parseClusterCode(generateClusterCode().text)
/** A small message bound, so an oversized message is cheap to announce. */
const MAX_MESSAGE_BYTES = 64 * 1024

interface Replica {
  id: string
  host: DreamHost
  store: DesiredStateStore
  sync: DesiredStateSync
}

/** The document as canonical JSON, for comparing replicas (map iteration order may differ between them). */
function canonical (store: DesiredStateStore): string {
  return JSON.stringify(store.view(), (_key, value: unknown) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([x], [y]) => x < y ? -1 : 1))
  })
}

async function peerId (): Promise<string> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
}

function converged (replicas: Replica[]): boolean {
  const first = canonical(replicas[0].store)
  return replicas.every(r => canonical(r.store) === first)
}

describe('desired-state sync over libp2p', function () {
  this.timeout(30_000)
  const guard = new ProcessGuard()
  let root: string
  let counter = 0
  const replicas: Replica[] = []
  const hosts: DreamHost[] = []

  async function host (): Promise<DreamHost> {
    const h = await createHost({
      privateKey: await generateKeyPair('Ed25519'),
      listen: [`/memory/${RUN}-${counter++}`],
      transports: [memory()],
      admission: { mode: 'private', code: CODE },
      mdns: false,
      registry: new Registry()
    })
    hosts.push(h)
    return h
  }

  async function replica (init: DesiredStateSyncInit = {}): Promise<Replica> {
    const h = await host()
    const id = h.peerId.toString()
    const store = await DesiredStateStore.open(join(root, `node-${counter}`), { editor: id })
    const sync = await createDesiredStateSync(h, store, { maxMessageBytes: MAX_MESSAGE_BYTES, resyncDelayMs: 50, ...init })
    const r = { id, host: h, store, sync }
    replicas.push(r)
    return r
  }

  async function connect (a: { host: DreamHost }, b: { host: DreamHost }): Promise<void> {
    await a.host.dial(multiaddr(b.host.getMultiaddrs()[0].toString()))
  }

  before(async () => {
    guard.install()
    root = await mkdtemp(join(tmpdir(), 'dreammesh-desired-sync-'))
  })

  afterEach(async () => {
    for (const r of replicas.splice(0)) {
      await r.sync.stop()
      await r.store.close()
    }
    await Promise.allSettled(hosts.splice(0).map(async h => { await h.stop() }))
  })

  after(async () => {
    await rm(root, { recursive: true, force: true })
    guard.uninstall()
  })

  it('two nodes: a full sync on connect, then incremental updates both ways', async () => {
    const a = await replica()
    const b = await replica()
    await a.store.setWorkload('before-a', { n: 1 })
    await b.store.setWorkload('before-b', { n: 2 })
    await b.store.setVoters([a.id, b.id])
    await connect(a, b)
    await waitUntil('a and b converge after connecting', () => converged([a, b]) && a.store.workloads().size === 2)
    assert.ok(a.sync.isSyncedWith(b.id) || b.sync.isSyncedWith(a.id))

    await a.store.setWorkload('after-a', { n: 3 })
    await b.store.removeWorkload('before-a')
    await waitUntil('incremental updates arrive', () => converged([a, b]) && a.store.workload('after-a') !== undefined && a.store.workload('before-a') === undefined)
    assert.deepEqual(b.store.voters(), [a.id, b.id].sort())
    assert.ok(a.sync.stats.updatesPushed >= 1)
    for (const r of [a, b]) assert.deepEqual(r.sync.stats.dropped, {}, `${r.id} dropped nothing`)
    guard.assertClean()
  })

  it('three nodes in a line (a-b-c): edits at either end reach the other through the middle', async () => {
    const a = await replica()
    const b = await replica()
    const c = await replica()
    await connect(a, b)
    await connect(b, c)
    await a.store.setWorkload('from-a', { n: 1 })
    await c.store.setWorkload('from-c', { n: 2 })
    await waitUntil('a, b and c converge', () => converged([a, b, c]) && c.store.workload('from-a') !== undefined && a.store.workload('from-c') !== undefined)
    assert.equal(a.host.getConnections(c.host.peerId).length, 0, 'a and c never connected')
    const retired = await peerId()
    await b.store.deny(retired, 'retired')
    await waitUntil('a deny made in the middle reaches both ends', () => a.store.isDenied(retired) && c.store.isDenied(retired))
    guard.assertClean()
  })

  it('concurrent edits during a partition converge to the same document once the nodes meet', async () => {
    const a = await replica()
    const b = await replica()
    // Not connected: a partition.
    await a.store.setWorkload('web', { image: 'nginx', replicas: 3 })
    await b.store.setWorkload('web', { image: 'caddy' })
    await a.store.setWorkload('only-a', { n: 1 })
    await b.store.deny(await peerId(), 'denied during the partition')
    await connect(a, b)
    await waitUntil('a and b converge after the partition heals', () => converged([a, b]) && a.store.workload('only-a') !== undefined && a.store.denied().size === 1 && b.store.workload('only-a') !== undefined)
    const web = JSON.stringify(a.store.workload('web'))
    assert.ok([JSON.stringify({ image: 'nginx', replicas: 3 }), JSON.stringify({ image: 'caddy' })].includes(web), `one spec, whole: ${web}`)
    assert.equal(JSON.stringify(b.store.workload('web')), web)
    guard.assertClean()
  })

  it('a broken sync stream is replaced, and the full sync on the new one repairs what was lost meanwhile', async () => {
    const a = await replica()
    const b = await replica()
    await connect(a, b)
    await a.store.setWorkload('first', { n: 1 })
    await waitUntil('the first edit arrives', () => b.store.workload('first') !== undefined)
    const outbound = a.host.getConnections(b.host.peerId).flatMap(c => c.streams)
      .filter(s => s.protocol === DESIRED_STATE_PROTOCOL && s.direction === 'outbound')
    assert.equal(outbound.length, 1, 'a writes to b on one stream')
    outbound[0].abort(new Error('test: broken'))
    // Made while a has no stream to b: only the resync can deliver it.
    await a.store.setWorkload('while-broken', { n: 2 })
    await waitUntil('the resync delivers the edit made while the stream was down', () => b.store.workload('while-broken') !== undefined)
    assert.equal(a.sync.stats.streamsBroken, 1)
    assert.ok(a.sync.stats.resyncs >= 1)
    guard.assertClean()
  })

  it('when fsyncs fall behind, inbound streams pause and resume; nothing is lost', async () => {
    const a = await replica()
    const b = await replica({ maxPendingWriteBytes: 0 })
    await connect(a, b)
    await Promise.all(Array.from({ length: 40 }, async (_, i) => { await a.store.setWorkload(`w${i}`, { i }) }))
    await waitUntil('b gets all 40 edits', () => b.store.workloads().size === 40)
    assert.ok(b.sync.stats.pauses >= 1, 'b paused at least once')
    assert.ok(converged([a, b]))
    guard.assertClean()
  })

  it('a denied peer is cut off: its streams are reset and its edits go nowhere', async () => {
    const a = await replica()
    const b = await replica()
    const c = await replica()
    await connect(a, b)
    await connect(b, c)
    await c.store.setWorkload('from-c', { n: 1 })
    await waitUntil('c\'s first edit reaches a', () => a.store.workload('from-c') !== undefined)
    await a.store.deny(c.id, 'stolen')
    await waitUntil('b learns the deny', () => b.store.isDenied(c.id))
    await c.store.setWorkload('after-deny', { n: 2 })
    // c keeps its connection (the gater is not part of this test) but b refuses what it sends.
    await waitUntil('b refuses c', () => (b.sync.stats.dropped['denied-peer'] ?? 0) >= 1)
    await a.store.setWorkload('later', { n: 3 })
    await waitUntil('a later edit still reaches b', () => b.store.workload('later') !== undefined)
    assert.equal(b.store.workload('after-deny'), undefined)
    assert.equal(a.store.workload('after-deny'), undefined)
    guard.assertClean()
  })

  it('garbage, malformed and oversized messages from an admitted peer are dropped and counted by reason; syncing goes on', async () => {
    const seed = fuzzSeed()
    console.log(`      fuzz seed ${seed} (replay: DREAMMESH_FUZZ_SEED=${seed})`)
    const rng = new SeededBytes(seed)
    const a = await replica()
    const b = await replica()
    await connect(a, b)
    // A bare host with the cluster code: admitted by pnet, speaking the protocol by hand.
    const stranger = await host()
    await connect({ host: stranger }, a)
    const target = a.host.peerId
    const raw = async (payloads: Uint8Array[]): Promise<void> => {
      await writeRawStream(stranger, target, DESIRED_STATE_PROTOCOL, payloads.map(encodeLengthPrefixed))
    }
    const randomBytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => rng.int(256))

    await raw([new Uint8Array([9, 1, 0])]) // unknown version
    await raw([new Uint8Array([1, 77, 0])]) // unknown kind
    await raw([new Uint8Array([1])]) // too short
    await raw([new Uint8Array([1, 2, 0, 0, 1, 0])]) // a reply whose state vector runs past the end
    // Updates and state vectors whose Yjs bytes are garbage: framing fine, content not.
    const garbageUpdates = 20
    const garbage = Array.from({ length: garbageUpdates }, () => encodeSyncMessage({ kind: 'update', update: Uint8Array.of(0xff, ...randomBytes(rng.between(1, 200))) }))
    await raw(garbage)
    await raw([encodeSyncMessage({ kind: 'request', stateVector: Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff) })])
    // Oversized: the prefix alone announces more than the bound; the stream is reset.
    const prefix = new Uint8Array(4)
    new DataView(prefix.buffer).setUint32(0, MAX_MESSAGE_BYTES + 1)
    const end = await writeRawStream(stranger, target, DESIRED_STATE_PROTOCOL, [prefix, new Uint8Array(100)])
    assert.ok(end.reset, 'the stream that announced an oversized message was reset')
    // Truncated: a message cut off by the end of the stream.
    const whole = encodeLengthPrefixed(encodeSyncMessage({ kind: 'update', update: new Uint8Array(50) }))
    await writeRawStream(stranger, target, DESIRED_STATE_PROTOCOL, [whole.subarray(0, 20)])
    // Pure noise of random lengths (each chunk framed, so every message reaches the decoder).
    for (let i = 0; i < 10; i++) await raw(Array.from({ length: rng.between(1, 5) }, () => randomBytes(rng.between(0, 300))))

    const dropped = a.sync.stats.dropped
    await waitUntil(`a counts what the stranger sent (seed ${seed}): ${JSON.stringify(dropped)}`, () =>
      (dropped.truncated ?? 0) === 1 && (dropped.oversized ?? 0) === 1)
    assert.ok((dropped['unknown-version'] ?? 0) >= 1)
    assert.ok((dropped['unknown-kind'] ?? 0) >= 1)
    assert.ok((dropped['malformed-message'] ?? 0) >= 2)
    // A garbage update may, by chance, decode as a valid (empty) Yjs update; the seed is printed to look.
    assert.ok((dropped['malformed-update'] ?? 0) >= garbageUpdates - 2, `seed ${seed}: ${JSON.stringify(dropped)}`)
    assert.ok((dropped['malformed-state-vector'] ?? 0) + (dropped['malformed-update'] ?? 0) >= garbageUpdates - 1)
    assert.equal(dropped['handler-error'], undefined, 'no message made the handler throw')
    assert.equal(a.store.workloads().size, 0, 'no garbage reached the document')

    // The node keeps syncing, with its real peer and with the stranger speaking properly.
    await b.store.setWorkload('still-syncing', { n: 1 })
    await waitUntil('a later edit still reaches a', () => a.store.workload('still-syncing') !== undefined)
    const good = new Y.Doc()
    good.getMap(ROOT.workloads).set('from-stranger', { n: 2 })
    await raw([encodeSyncMessage({ kind: 'update', update: Y.encodeStateAsUpdate(good) })])
    await waitUntil('a well-formed update from the same peer is applied', () => a.store.workload('from-stranger') !== undefined && b.store.workload('from-stranger') !== undefined)
    guard.assertClean()
  })
})
