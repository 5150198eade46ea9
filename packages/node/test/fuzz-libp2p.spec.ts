import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { memory } from '@libp2p/memory'
import { multiaddr } from '@multiformats/multiaddr'
import { Registry } from 'prom-client'
import { decodeResourceRecord, encodeResourceRecord, localTestConfig, type ResourceRecord } from '@dreammesh/protocols'
import {
  createDreamNode, createHost, FRAME_PROTOCOL, MAX_GOSSIP_RPC_BYTES, PACKET_PROTOCOL, parseClusterCode, RESOURCES_TOPIC, generateClusterCode,
  type DreamHost, type DreamNode, type DreamNodeOptions
} from '../src/index.js'
import { droppedByReason, metricValue } from './support/metrics.js'
import { pollUntil } from './support/poll.js'
import { ProcessGuard } from './support/process-guard.js'
import { writeRawStream } from './support/raw-stream.js'
import { fuzzSeed, SeededBytes } from './support/seeded-bytes.js'
import { fuzzStream, type ExpectedReason, type StreamKind } from './support/wire-fuzz.js'
import { waitUntil } from './wait.js'

/**
 * Issue: "Random, truncated and oversized frames on the membership protocol and on the gossip topic are
 * dropped and counted, and the node keeps serving. The fuzzer is an admitted peer writing at stream level,
 * since pnet would stop a stranger's bytes before any handler."
 *
 * Three real nodes over @libp2p/memory (pnet, noise, yamux, gossipsub StrictSign), and two fuzzers holding
 * the cluster code: a bare libp2p host that is not a member, and a DreamNode that is one. Every byte they
 * write comes from one seeded PRNG; the seed is printed, and `DREAMMESH_FUZZ_SEED=<seed>` replays it.
 * Assertions are lower bounds and exact counts polled under a generous budget, never wall-clock speeds.
 */

const NODES = 3
/** Raw streams the fuzzer opens per membership protocol (each carries up to ~40 messages). */
const STREAMS_PER_PROTOCOL = 120
/** Records the fuzzers publish on the resources topic, per kind of bad record. */
const GOSSIP_PER_KIND = 12
const RUN = `dreammesh-fuzz-${process.pid}-${Date.now().toString(36)}`
const CODE = generateClusterCode().text
const CONFIG = localTestConfig()

/** The gossipsub protocols (@libp2p/gossipsub registers all three; the newest it shares is negotiated). */
const MESHSUB = ['/meshsub/1.2.0', '/meshsub/1.1.0', '/meshsub/1.0.0']

/** Transport stats a node exposes through /metrics (`dreammesh_membership_events{counter="transport_*"}`). */
async function transportStat (node: DreamNode, stat: string): Promise<number> {
  return await metricValue(node.registry, 'dreammesh_membership_events', { counter: `transport_${stat}` })
}

function membershipDrops (node: DreamNode): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [k, v] of Object.entries(node.counters())) if (k.startsWith('dropped.')) out[k.slice('dropped.'.length)] = v
  return out
}

function sum (values: Record<string, number>): number {
  return Object.values(values).reduce((a, b) => a + b, 0)
}

describe('fuzz: bad input from an admitted peer over libp2p', function () {
  this.timeout(30_000)

  const seed = fuzzSeed()
  const rng = new SeededBytes(seed)
  const guard = new ProcessGuard()
  let root: string
  let nodes: DreamNode[] = []
  /** A bare host with the cluster code: admitted by pnet, never a member. */
  let stranger: DreamHost
  /** A member (resources off, so gossip is the only way its records travel). */
  let insider: DreamNode
  const running = new Set<DreamNode>()
  let counter = 0

  async function startNode (options: Partial<DreamNodeOptions> = {}): Promise<DreamNode> {
    const index = counter++
    const node = await createDreamNode({
      dataDir: join(root, `node-${index}`),
      name: `node-${index}`,
      config: CONFIG,
      listen: [`/memory/${RUN}-${index}`],
      transports: [memory()],
      mdns: false,
      dialTimeoutMs: 1_000,
      cluster: CODE,
      ...options
    })
    running.add(node)
    await node.start()
    return node
  }

  before(async function () {
    console.log(`      fuzz seed ${seed} (replay: DREAMMESH_FUZZ_SEED=${seed} npm test -w @dreammesh/node -- --grep fuzz)`)
    guard.install()
    root = await mkdtemp(join(tmpdir(), 'dreammesh-fuzz-'))
    const first = await startNode()
    const seedAddrs = first.getMultiaddrs().map(String)
    nodes = [first, ...await Promise.all(Array.from({ length: NODES - 1 }, async () => await startNode({ bootstrap: seedAddrs })))]
    insider = await startNode({ bootstrap: seedAddrs, resources: false, name: 'insider' })
    await waitUntil('the nodes and the insider converge', () =>
      [...nodes, insider].every(n => n.members().filter(m => m.state === 'alive').length === NODES))

    stranger = await createHost({
      privateKey: await generateKeyPair('Ed25519'),
      listen: [`/memory/${RUN}-stranger`],
      transports: [memory()],
      admission: { mode: 'private', code: parseClusterCode(CODE) },
      mdns: false,
      registry: new Registry()
    })
    for (const n of nodes) await stranger.dial(multiaddr(n.getMultiaddrs()[0].toString()))
  })

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(`      fuzz failed with seed ${seed}: replay with DREAMMESH_FUZZ_SEED=${seed}`)
  })

  after(async () => {
    await Promise.resolve(stranger?.stop()).catch(() => {})
    await Promise.allSettled([...running].map(async n => { await n.stop() }))
    if (root !== undefined) await rm(root, { recursive: true, force: true })
    guard.uninstall()
  })

  for (const kind of ['packet', 'frame'] as const satisfies readonly StreamKind[]) {
    const protocol = kind === 'packet' ? PACKET_PROTOCOL : FRAME_PROTOCOL
    const bound = kind === 'packet' ? CONFIG.maxPacketBytes : CONFIG.maxFrameBytes

    it(`${kind} protocol: random, near-valid, truncated and oversized messages are dropped and counted by reason`, async () => {
      const streamRng = rng.fork(`membership-${kind}`)
      const before = await Promise.all(nodes.map(async n => ({
        oversized: await transportStat(n, 'receivedOversizedDropped'),
        truncated: await transportStat(n, 'receivedTruncatedDropped'),
        received: await transportStat(n, kind === 'packet' ? 'packetsReceived' : 'framesReceived'),
        drops: membershipDrops(n)
      })))
      const expected = nodes.map(() => ({ oversized: 0, truncated: 0, payloads: 0, reasons: {} as Partial<Record<ExpectedReason, number>> }))
      let messages = 0
      let resetsSeen = 0
      let oversizedStreams = 0

      // At least STREAMS_PER_PROTOCOL streams, and more until a thousand messages went out: how many
      // messages a stream carries is the seed's choice.
      for (let i = 0; i < STREAMS_PER_PROTOCOL || messages < 1_000; i++) {
        const target = streamRng.int(NODES)
        const stream = fuzzStream(streamRng, kind, bound, CONFIG.digestBuckets)
        const end = await writeRawStream(stranger, nodes[target].peerId, protocol, stream.chunks)
        const e = expected[target]
        e.payloads += stream.prediction.payloads
        if (stream.prediction.oversized) {
          e.oversized++
          oversizedStreams++
          if (end.reset) resetsSeen++
        }
        if (stream.prediction.truncated) e.truncated++
        for (const m of stream.messages) {
          messages++
          if (m.expect !== 'unknown') e.reasons[m.expect] = (e.reasons[m.expect] ?? 0) + 1
        }
      }

      for (const [i, node] of nodes.entries()) {
        const b = before[i]
        const e = expected[i]
        let last = ''
        await pollUntil(() => `node-${i} counts what the fuzzer sent on ${protocol} (expected ${JSON.stringify(e)}, last ${last}; seed ${seed})`, async () => {
          const oversized = await transportStat(node, 'receivedOversizedDropped') - b.oversized
          const truncated = await transportStat(node, 'receivedTruncatedDropped') - b.truncated
          const received = await transportStat(node, kind === 'packet' ? 'packetsReceived' : 'framesReceived') - b.received
          last = JSON.stringify({ oversized, truncated, received })
          return oversized === e.oversized && truncated === e.truncated && received >= e.payloads
        })
        const drops = membershipDrops(node)
        for (const [reason, n] of Object.entries(e.reasons)) {
          const got = (drops[reason] ?? 0) - (b.drops[reason] ?? 0)
          assert.ok(got >= n, `node-${i}: ${n} ${kind}s built to be dropped as ${reason}, ${got} counted (seed ${seed})`)
        }
        // The same drops, by reason, in /metrics: the metric is read first, so the counters can only be ahead.
        const metric = await droppedByReason(node.registry, 'membership')
        const counters = membershipDrops(node)
        for (const [reason, n] of Object.entries(metric)) assert.ok((counters[reason] ?? 0) >= n, `dreammesh_dropped_total{reason="${reason}"} ${n} > counters ${counters[reason]}`)
        assert.ok(sum(metric) >= Object.values(e.reasons).reduce((a, b) => a + b, 0))
        assert.equal(await transportStat(node, 'handlerErrors'), 0, 'no handler threw')
      }
      // libp2p reports a reset to the writer; every stream with a length over the bound was reset.
      assert.equal(resetsSeen, oversizedStreams, `${oversizedStreams} streams announced an oversized message, ${resetsSeen} were reset`)
      assert.ok(oversizedStreams > 0, 'the seed produced at least one oversized stream')
      guard.assertClean()
    })
  }

  it('an oversized length prefix resets that stream, and the same peer\'s next stream is still read', async () => {
    const node = nodes[0]
    const before = await transportStat(node, 'receivedOversizedDropped')
    const receivedBefore = await transportStat(node, 'packetsReceived')
    const prefix = new Uint8Array(4)
    new DataView(prefix.buffer).setUint32(0, CONFIG.maxPacketBytes + 1)
    const end = await writeRawStream(stranger, node.peerId, PACKET_PROTOCOL, [prefix, new Uint8Array(64)])
    assert.ok(end.reset, 'the stream that announced an oversized packet was reset')
    await pollUntil('the oversized prefix is counted', async () => await transportStat(node, 'receivedOversizedDropped') === before + 1)
    const version = node.counters()['dropped.version'] ?? 0
    // A well-framed packet of another version on a fresh stream: read, handed to membership, dropped as `version`.
    const payload = Uint8Array.from([0x08, 0x07, 0x10, 0x01])
    const framed = new Uint8Array(4 + payload.length)
    new DataView(framed.buffer).setUint32(0, payload.length)
    framed.set(payload, 4)
    const next = await writeRawStream(stranger, node.peerId, PACKET_PROTOCOL, [framed])
    assert.equal(next.reset, false, 'a well-framed stream is closed, not reset')
    await waitUntil('the next stream is read', () => (node.counters()['dropped.version'] ?? 0) === version + 1)
    assert.ok(await transportStat(node, 'packetsReceived') > receivedBefore)
  })

  /** Waits until the fuzzer's gossipsub knows every node subscribes to the resources topic. */
  async function waitForSubscribers (publisher: DreamHost): Promise<void> {
    await waitUntil('the publisher sees every node subscribed to the resources topic', () => {
      const subscribers = new Set(publisher.services.pubsub.getSubscribers(RESOURCES_TOPIC).map(String))
      return nodes.every(n => subscribers.has(n.peerId.toString()))
    })
  }

  async function gossipDrops (): Promise<Array<Record<string, number>>> {
    return await Promise.all(nodes.map(async n => await droppedByReason(n.registry, 'gossip')))
  }

  async function waitForGossipDrops (before: Array<Record<string, number>>, expected: Record<string, number>): Promise<void> {
    await pollUntil(`every node counts the bad records ${JSON.stringify(expected)}`, async () => {
      const now = await gossipDrops()
      return now.every((d, i) => Object.entries(expected).every(([reason, n]) => (d[reason] ?? 0) - (before[i][reason] ?? 0) >= n))
    })
  }

  /** A valid record as the sampler would make it. */
  function record (seq: number): ResourceRecord {
    return { seq, cpuCount: 4, uptimeSec: 100, power: { source: 'ac' }, capabilities: { displays: [], inputDevices: 0, gpus: [] } }
  }

  /** Records each built to be dropped for one known reason, checked against the real decoder first. */
  function badRecords (r: SeededBytes): Array<{ reason: string, data: Uint8Array }> {
    const valid = encodeResourceRecord(record(r.int(1_000)))
    const out: Array<{ reason: string, data: Uint8Array }> = []
    for (let i = 0; i < GOSSIP_PER_KIND; i++) {
      out.push({ reason: 'empty', data: new Uint8Array(0) })
      out.push({ reason: 'oversized', data: r.bytes(r.between(401, 60_000)) })
      // A varint cut short after the version, and a length-delimited field running past the end.
      out.push({ reason: 'malformed', data: r.pick([Uint8Array.from([0x08, 0x01, 0x10, 0xff]), Uint8Array.from([0x08, 0x01, 0x82, 0x01, 0x7f, 0x00])]) })
      // protobuf takes the last value of a field: the version and cpuPermille appended override the valid ones.
      out.push({ reason: 'version', data: Uint8Array.from([...valid, 0x08, r.between(2, 127)]) })
      out.push({ reason: 'invalid-field', data: Uint8Array.from([...valid, 0x18, 0x88, 0x27]) })
    }
    for (const { reason, data } of out) {
      const decoded = decodeResourceRecord(data)
      assert.ok(!decoded.ok && decoded.reason === reason, `the test built a ${reason} record that decodes as ${decoded.ok ? 'valid' : decoded.reason}`)
    }
    return out
  }

  it('gossip topic from a non-member: every record, bad or not, is ignored and counted as not-a-member', async () => {
    const r = rng.fork('gossip-stranger')
    await waitForSubscribers(stranger)
    const before = await gossipDrops()
    const records = [...badRecords(r).map(b => b.data), ...Array.from({ length: GOSSIP_PER_KIND }, () => r.bytes(r.between(1, 400))), encodeResourceRecord(record(1))]
    for (const data of records) await stranger.services.pubsub.publish(RESOURCES_TOPIC, data)
    await waitForGossipDrops(before, { 'not-a-member': records.length })
    // A view of the stranger with no record of its own in membership: only gossip could have given it one.
    for (const n of nodes) {
      const view = { ...n.self(), id: stranger.peerId.toString(), meta: { ...n.self().meta, state: new Uint8Array(0) } }
      assert.equal(n.resourcesOf(view), undefined, 'a non-member\'s record is not taken')
    }
    guard.assertClean()
  })

  it('gossip topic from a member: empty, oversized, malformed, wrong-version, bad-field and stale records are dropped by reason; valid ones still land', async () => {
    const r = rng.fork('gossip-insider')
    const pubsub = insider.libp2p.services.pubsub
    await waitForSubscribers(insider.libp2p)
    const insiderId = insider.peerId.toString()
    const before = await gossipDrops()

    const bad = badRecords(r)
    const randomRecords = Array.from({ length: GOSSIP_PER_KIND }, () => r.bytes(r.between(1, 400)))
    for (const { data } of bad) await pubsub.publish(RESOURCES_TOPIC, data)
    for (const data of randomRecords) await pubsub.publish(RESOURCES_TOPIC, data)
    const expected: Record<string, number> = {}
    for (const { reason } of bad) expected[reason] = (expected[reason] ?? 0) + 1
    await waitForGossipDrops(before, expected)

    // A valid record lands everywhere; an older one after it is stale; a newer one lands again.
    const seqOf = (n: DreamNode): number | undefined => {
      const m = n.members().find(x => x.id === insiderId)
      return m === undefined ? undefined : n.resourcesOf(m)?.seq
    }
    const base = 1_000 + r.int(1_000)
    await pubsub.publish(RESOURCES_TOPIC, encodeResourceRecord(record(base)))
    await waitUntil('every node takes the insider\'s valid record', () => nodes.every(n => seqOf(n) === base))
    const beforeStale = await gossipDrops()
    await pubsub.publish(RESOURCES_TOPIC, encodeResourceRecord(record(base - 1)))
    await waitForGossipDrops(beforeStale, { stale: 1 })
    await pubsub.publish(RESOURCES_TOPIC, encodeResourceRecord(record(base + 1)))
    await waitUntil('every node takes the newer record', () => nodes.every(n => seqOf(n) === base + 1))
    guard.assertClean()
  })

  it('raw garbage on gossipsub streams (random bytes, oversized RPC lengths, undecodable RPCs) is counted by gossipsub and breaks nothing', async () => {
    const r = rng.fork('meshsub')
    const gossipErrors = async (): Promise<number> => {
      let sum = 0
      for (const n of nodes) {
        for (const name of ['gossipsub_rpc_recv_err_count_total', 'gossipsub_rpc_data_err_count_total', 'gossipsub_peer_read_stream_err_count_total']) {
          sum += await metricValue(n.registry, name, {})
        }
      }
      return sum
    }
    const errorsBefore = await gossipErrors()
    let writes = 0
    for (let i = 0; i < 30; i++) {
      const node = nodes[r.int(NODES)]
      const chunks = r.pick([
        () => [r.bytes(r.between(1, 4_096))],
        // A varint length far over MAX_GOSSIP_RPC_BYTES, then some bytes.
        () => [Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f]), r.bytes(r.int(512))],
        // A small valid varint length around bytes that are no RPC.
        () => { const body = r.bytes(r.between(1, 120)); return [Uint8Array.from([body.length, ...body])] }
      ])()
      // gossipsub never closes an inbound stream on its own, so do not wait for its end: abort after writing.
      const stream = await stranger.dialProtocol(node.peerId, MESHSUB, { signal: AbortSignal.timeout(5_000) })
      for (const c of chunks) if (!stream.send(c)) await stream.onDrain({ signal: AbortSignal.timeout(5_000) }).catch(() => {})
      await stream.close({ signal: AbortSignal.timeout(2_000) }).catch(() => { stream.abort(new Error('done')) })
      writes++
    }
    assert.equal(writes, 30)
    // gossipsub counts what it drops below the topic (its own metrics, registered in the node's registry).
    await pollUntil('the receivers counted the bad RPCs in gossipsub\'s metrics', async () => await gossipErrors() > errorsBefore)
    // A signed message in an RPC over MAX_GOSSIP_RPC_BYTES: the receivers' gossipsub refuses the RPC itself.
    await stranger.services.pubsub.publish(RESOURCES_TOPIC, r.bytes(MAX_GOSSIP_RPC_BYTES + 1_024)).catch(() => {})
    // gossipsub between the real nodes and the insider still carries records.
    const insiderId = insider.peerId.toString()
    const seq = 50_000 + r.int(1_000)
    await insider.libp2p.services.pubsub.publish(RESOURCES_TOPIC, encodeResourceRecord(record(seq)))
    await waitUntil('a valid record published after the garbage lands everywhere', () => nodes.every(n => {
      const m = n.members().find(x => x.id === insiderId)
      return m !== undefined && n.resourcesOf(m)?.seq === seq
    }))
    guard.assertClean()
  })

  it('the cluster keeps serving: converged, a meta update and then a killed node are seen by all, nothing thrown', async () => {
    const all = [...nodes, insider]
    await waitUntil('everyone still sees everyone alive', () => all.every(n => n.members().filter(m => m.state === 'alive').length === NODES))
    nodes[0].updateMeta({ tags: ['after-fuzz'] })
    const id0 = nodes[0].peerId.toString()
    await waitUntil('every other member sees the new tags', () =>
      all.slice(1).every(n => n.members().find(m => m.id === id0)?.meta.tags.includes('after-fuzz') === true))
    const victim = nodes[NODES - 1]
    const victimId = victim.peerId.toString()
    await victim.stop({ abortConnections: true })
    running.delete(victim)
    const survivors = all.filter(n => n !== victim)
    await waitUntil('every survivor marks the killed node dead', () =>
      survivors.every(n => n.members().find(m => m.id === victimId)?.state === 'dead'))
    for (const n of survivors) assert.equal(await transportStat(n, 'handlerErrors'), 0)
    guard.assertClean()
  })
})
