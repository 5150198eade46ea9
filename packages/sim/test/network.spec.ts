import assert from 'node:assert/strict'
import { MachineDriver, Xoshiro128, type Input, type NodeId, type Output, type StateMachine, type TransportHandler } from '@dreammesh/protocols'
import { EventQueue } from '../src/clock/event-queue.js'
import { NodeClock } from '../src/clock/node-clock.js'
import { SimScheduler } from '../src/clock/sim-scheduler.js'
import { retransmitDelayMs } from '../src/network/delay.js'
import { resolveNetworkOptions, wifiProfile, type SimNetworkOptions } from '../src/network/options.js'
import { SimNetwork } from '../src/network/sim-network.js'
import { StreamLinks } from '../src/network/stream-links.js'
import type { SimTransport } from '../src/network/sim-transport.js'

interface Delivery { atMs: number, kind: 'packet' | 'frame' | 'closed', from: NodeId, to: NodeId, bytes?: Uint8Array }

/** A network of `count` nodes with open transports, recording every delivery in one trace. */
function world (count: number, options: SimNetworkOptions, seed = 1): { queue: EventQueue, network: SimNetwork, t: SimTransport[], trace: Delivery[] } {
  const queue = new EventQueue()
  const network = new SimNetwork(queue, new Xoshiro128(seed).fork('network'), options)
  const trace: Delivery[] = []
  const t: SimTransport[] = []
  for (let i = 0; i < count; i++) {
    const transport = network.openTransport(network.addNode(`n${i}`))
    transport.listen(recorder(trace, queue, transport.localId))
    t.push(transport)
  }
  return { queue, network, t, trace }
}

function recorder (trace: Delivery[], queue: EventQueue, to: NodeId): TransportHandler {
  return {
    onPacket: (from, bytes) => { trace.push({ atMs: queue.nowMs, kind: 'packet', from, to, bytes }) },
    onFrame: (from, bytes) => { trace.push({ atMs: queue.nowMs, kind: 'frame', from, to, bytes }) },
    onClosed: (peer) => { trace.push({ atMs: queue.nowMs, kind: 'closed', from: peer, to }) }
  }
}

/** A 4-byte payload carrying `seq`, plus `extra` padding bytes. */
function numbered (seq: number, extra = 0): Uint8Array {
  const bytes = new Uint8Array(4 + extra)
  new DataView(bytes.buffer).setUint32(0, seq)
  return bytes
}

function seqOf (bytes: Uint8Array | undefined): number {
  assert.ok(bytes !== undefined)
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0)
}

/** Random traffic between `count` nodes: a packet and sometimes a frame every virtual millisecond. */
function randomTraffic (options: SimNetworkOptions, seed: number): string[] {
  const { queue, t, trace } = world(8, options, seed)
  const traffic = new Xoshiro128(99) // the traffic itself is fixed; only the network seed varies
  for (let i = 0; i < 2_000; i++) {
    const from = t[traffic.int(8)]
    const to = t[traffic.int(8)]
    from.sendPacket(to.localId, numbered(i))
    if (i % 3 === 0) from.sendFrame(to.localId, numbered(i))
    queue.runFor(1)
  }
  queue.runFor(10_000)
  return trace.map(d => `${d.atMs.toFixed(9)} ${d.kind} ${d.from}->${d.to} #${d.bytes === undefined ? '-' : seqOf(d.bytes)}`)
}

describe('SimNetwork: delivery model', () => {
  const faulty: SimNetworkOptions = { ...wifiProfile(), duplicateProbability: 0.05, reorderProbability: 0.05 }

  it('is a pure function of its seed: the same seed gives the same delivery trace', () => {
    const first = randomTraffic(faulty, 42)
    const second = randomTraffic(faulty, 42)
    assert.ok(first.length > 2_000)
    assert.deepEqual(second, first)
    assert.notDeepEqual(randomTraffic(faulty, 43), first, 'and another seed gives another trace')
  })

  it('loses packets at the configured rate, and counts each loss', () => {
    const n = 20_000
    const p = 0.1
    const { queue, network, t, trace } = world(2, { lossProbability: p })
    for (let i = 0; i < n; i++) t[0].sendPacket(t[1].localId, numbered(i))
    queue.runFor(1_000)
    const lost = n - trace.length
    const sigma = Math.sqrt(n * p * (1 - p))
    assert.ok(Math.abs(lost - n * p) < 4 * sigma, `lost ${lost} of ${n}, expected ${n * p} ± ${4 * sigma}`)
    assert.equal(network.counters(0).packetsDropped.loss, lost)
    assert.equal(network.counters(1).packetsReceived, trace.length)
    assert.equal(network.totals().packetsSent, n)
  })

  it('delays packets by the floor plus an exponential with the configured mean, plus a tail', () => {
    const n = 20_000
    const options = { delayMinMs: 2, delayMeanMs: 5, delayTailProbability: 0.1, delayTailMs: 200 }
    const { queue, t, trace } = world(2, options)
    for (let i = 0; i < n; i++) t[0].sendPacket(t[1].localId, numbered(i))
    queue.runFor(1_000)
    assert.equal(trace.length, n)
    const delays = trace.map(d => d.atMs)
    assert.ok(Math.min(...delays) >= 2, 'nothing beats the floor')
    assert.ok(Math.max(...delays) < 2 + 3 * 20 + 200, 'the tail is bounded by delayTailMs')
    // Mean = min + (mean - min) + p * tail / 2 = 5 + 10.
    const mean = delays.reduce((s, d) => s + d, 0) / n
    assert.ok(Math.abs(mean - 15) < 0.6, `mean delay ${mean} ms, expected 15`)
    const slow = delays.filter(d => d > 40).length / n
    // Only the tail reaches past 40 ms (the exponential part alone has e^-12 odds): 10% * (200 - 38 + 3) / 200.
    assert.ok(Math.abs(slow - 0.0825) < 0.008, `fraction over 40 ms: ${slow}`)
  })

  it('duplicates and reorders packets at the configured rates', () => {
    const n = 20_000
    const { queue, network, t, trace } = world(2, { delayMinMs: 1, delayMeanMs: 1, duplicateProbability: 0.05, reorderProbability: 0.05, reorderDelayMs: 20 })
    for (let i = 0; i < n; i++) {
      t[0].sendPacket(t[1].localId, numbered(i))
      queue.runFor(0.1)
    }
    queue.runFor(1_000)
    const duplicated = trace.length - n
    assert.equal(duplicated, network.counters(0).packetsDuplicated)
    assert.ok(Math.abs(duplicated / n - 0.05) < 0.006, `duplicated ${duplicated}`)
    // With a fixed 1 ms delay, a packet arriving 20 ms or more late was reordered, and it lands after
    // packets sent up to 20 ms (200 sends) after it.
    const late = trace.filter(d => d.atMs - seqOf(d.bytes) * 0.1 >= 20).length
    assert.ok(Math.abs(late / n - 0.05) < 0.006, `reordered ${late}`)
    const seqs = trace.map(d => seqOf(d.bytes))
    const overtaken = seqs.filter((s, i) => i > 0 && s < seqs[i - 1] - 150).length
    assert.ok(overtaken > 0.9 * late, 'a reordered packet lands well after later ones')
  })

  it('retransmits a lost frame after 200 ms, doubling for each further loss, and never loses it', () => {
    const n = 4_000
    const p = 0.3
    const { queue, network, t, trace } = world(2, { delayMinMs: 1, delayMeanMs: 1, lossProbability: p })
    // Frames 100 s apart: no head-of-line blocking, so each latency shows its own retransmissions.
    for (let i = 0; i < n; i++) {
      t[0].sendFrame(t[1].localId, numbered(i))
      queue.runFor(100_000)
    }
    assert.equal(trace.length, n, 'every frame arrives')
    const lossesOf = new Map([0, 1, 2, 3, 4, 5, 6, 7, 8].map(k => [1 + retransmitDelayMs(k, 200, 120_000), k]))
    let losses = 0
    const histogram = new Array<number>(9).fill(0)
    trace.forEach((d, i) => {
      assert.equal(seqOf(d.bytes), i)
      const k = lossesOf.get(d.atMs - i * 100_000)
      assert.ok(k !== undefined, `latency ${d.atMs - i * 100_000} ms is 1 ms plus whole retransmission timeouts`)
      losses += k
      histogram[k]++
    })
    assert.equal(network.counters(0).framesRetransmitted, losses)
    assert.equal(network.counters(0).framesDropped.loss, 0)
    // P(k losses) = p^k (1 - p).
    assert.ok(Math.abs(histogram[0] / n - 0.7) < 0.03, `first-time deliveries ${histogram[0]}`)
    assert.ok(Math.abs(histogram[1] / n - 0.21) < 0.03, `one retransmission ${histogram[1]}`)
  })

  it('keeps frames in order per pair: a frame waits behind a retransmitted one (head-of-line blocking)', () => {
    const { queue, t, trace } = world(3, { delayMinMs: 0.5, delayMeanMs: 5, delayTailProbability: 0.2, delayTailMs: 100, lossProbability: 0.2 })
    for (let i = 0; i < 3_000; i++) {
      t[0].sendFrame(t[2].localId, numbered(i))
      t[1].sendFrame(t[2].localId, numbered(i))
      t[2].sendFrame(t[0].localId, numbered(i))
      queue.runFor(0.5)
    }
    queue.runFor(120_000)
    for (const [from, to] of [['n0', 'n2'], ['n1', 'n2'], ['n2', 'n0']]) {
      const seqs = trace.filter(d => d.from === from && d.to === to).map(d => seqOf(d.bytes))
      assert.deepEqual(seqs, Array.from({ length: 3_000 }, (_, i) => i), `${from} -> ${to} exactly once, in order`)
    }
    // Frames sent just after a lost one wait for it: many arrive 200+ ms after they were sent.
    const blocked = trace.filter(d => d.from === 'n0' && d.atMs - seqOf(d.bytes) * 0.5 > 200).length
    assert.ok(blocked > 3_000 * 0.2, `frames held back behind a retransmission: ${blocked}`)
  })

  it('in the streams model carries packets reliably and in order too, ignoring duplication and reordering', () => {
    const { queue, network, t, trace } = world(2, { model: 'streams', lossProbability: 0.3, duplicateProbability: 0.5, reorderProbability: 0.5, delayMeanMs: 3 })
    for (let i = 0; i < 2_000; i++) {
      t[0].sendPacket(t[1].localId, numbered(i))
      queue.runFor(0.2)
    }
    queue.runFor(600_000)
    assert.deepEqual(trace.map(d => seqOf(d.bytes)), Array.from({ length: 2_000 }, (_, i) => i))
    assert.ok(trace.every(d => d.kind === 'packet'))
    assert.ok(network.counters(0).framesRetransmitted > 0)
    assert.equal(network.totals().packetsDuplicated, 0)
  })

  it('breaks a connection after streamMaxRetransmits consecutive losses, and tells the sender', () => {
    const { queue, network, t, trace } = world(2, { lossProbability: 1, streamMaxRetransmits: 3 })
    t[0].sendFrame(t[1].localId, numbered(1))
    t[0].sendFrame(t[1].localId, numbered(2))
    queue.runFor(10_000)
    assert.equal(network.counters(0).framesDropped.retransmitLimit, 2)
    assert.equal(t[0].stats.unreachableDropped, 2)
    // One hint for the burst, once the three retransmissions (200 + 400 + 800 ms) have failed.
    assert.deepEqual(trace.map(d => [d.kind, d.from, d.to, d.atMs]), [['closed', 'n1', 'n0', 1_400]])
  })

  it('counts oversized payloads as dropped by their sender, and copies payloads at send time when asked', () => {
    const { queue, network, t, trace } = world(2, { maxPacketBytes: 10, maxFrameBytes: 20, copyPayloads: true })
    t[0].sendPacket(t[1].localId, new Uint8Array(11))
    t[0].sendFrame(t[1].localId, new Uint8Array(21))
    const reused = numbered(7)
    t[0].sendFrame(t[1].localId, reused)
    reused.fill(0) // a protocol reusing its buffer must not change what is already on the wire
    queue.runFor(100)
    const counters = network.counters(0)
    assert.deepEqual([counters.packetsDropped.oversized, counters.framesDropped.oversized, counters.bytesDropped], [1, 1, 32])
    assert.equal(t[0].stats.oversizedDropped, 2)
    assert.deepEqual(trace.map(d => seqOf(d.bytes)), [7])
  })

  it('reports frames to an unknown id once per burst, after dialTimeoutMs, and counts each', () => {
    const { queue, network, t, trace } = world(1, { dialTimeoutMs: 3_000 })
    for (let i = 0; i < 10; i++) {
      t[0].sendFrame('ghost', numbered(i))
      t[0].sendPacket('ghost', numbered(i))
      queue.runFor(100)
    }
    queue.runFor(10_000)
    assert.deepEqual(trace.map(d => [d.kind, d.from, d.atMs]), [['closed', 'ghost', 3_000]])
    assert.equal(t[0].stats.unreachableDropped, 10)
    assert.equal(network.counters(0).framesDropped.unreachable, 10)
    assert.equal(network.counters(0).packetsDropped.unreachable, 10)
  })

  it('rejects a fault model it cannot simulate', () => {
    assert.throws(() => resolveNetworkOptions({ lossProbability: 1.5 }), RangeError)
    assert.throws(() => resolveNetworkOptions({ delayMinMs: 5, delayMeanMs: 1 }), RangeError)
    assert.throws(() => resolveNetworkOptions({ dialTimeoutMs: -1 }), RangeError)
    assert.equal(resolveNetworkOptions({ delayMinMs: 3 }).delayMeanMs, 3, 'the default mean is raised to a larger floor')
  })
})

describe('retransmitDelayMs', () => {
  for (const [losses, minRtoMs, maxRtoMs, expected] of [
    [0, 200, 120_000, 0],
    [1, 200, 120_000, 200],
    [2, 200, 120_000, 600],
    [4, 200, 120_000, 3_000],
    [5, 200, 1_000, 200 + 400 + 800 + 1_000 + 1_000]
  ]) {
    it(`${losses} losses cost ${expected} ms (min RTO ${minRtoMs} ms, max ${maxRtoMs} ms)`, () => {
      assert.equal(retransmitDelayMs(losses, minRtoMs, maxRtoMs), expected)
    })
  }
})

describe('StreamLinks', () => {
  it('keeps one entry per ordered pair', () => {
    const links = new StreamLinks(60_000)
    const ab = links.entry(0, 1, 0)
    links.setArrivalMs(ab, 42)
    const ba = links.entry(1, 0, 0)
    links.setArrivalMs(ba, 7)
    assert.equal(links.arrivalMs(links.entry(0, 1, 0)), 42)
    assert.equal(links.arrivalMs(links.entry(1, 0, 0)), 7)
    assert.equal(links.arrivalMs(links.entry(0, 2, 0)), -Infinity)
    assert.equal(links.size, 3)
  })

  it('sweeps idle pairs when full, but keeps pairs with a message in flight or a recent send', () => {
    const links = new StreamLinks(60_000)
    const inFlight = links.entry(5, 6, 0)
    links.setArrivalMs(inFlight, 500_000)
    const recent = links.entry(7, 8, 0)
    links.setSentMs(recent, 450_000)
    links.setArrivalMs(recent, 450_001)
    for (let i = 0; i < 100_000; i++) {
      const e = links.entry(1_000 + (i % 300), 2_000 + Math.floor(i / 300), 0)
      links.setSentMs(e, 0)
    }
    assert.equal(links.size, 100_002, 'pairs used at 0 are recent at 0')
    // At 460 s those 100,000 pairs are idle; filling the table with new pairs sweeps them out.
    for (let i = 0; i < 200_000; i++) links.setSentMs(links.entry(9, 10_000 + i, 460_000), 460_000)
    assert.equal(links.size, 200_002)
    assert.equal(links.arrivalMs(links.entry(5, 6, 460_000)), 500_000, 'a pair with a message in flight survives')
    assert.equal(links.arrivalMs(links.entry(7, 8, 460_000)), 450_001, 'a recently used pair survives')
    assert.equal(links.arrivalMs(links.entry(1_000, 2_000, 460_000)), -Infinity, 'an idle pair starts afresh')
  })

  it('finds the recent peers of a node in both directions, in index order', () => {
    const links = new StreamLinks(60_000)
    for (const [from, to, sentMs] of [[3, 9, 100], [9, 1, 200], [4, 9, 10], [9, 9, 200], [9, 7, 150], [2, 5, 200]]) {
      links.setSentMs(links.entry(from, to, 0), sentMs)
    }
    assert.deepEqual(links.recentPeers(9, 100), [1, 3, 7])
  })
})

/** A ping-pong machine: on a timer it pings its peer; on a ping it answers with a pong frame. */
class PingPong implements StateMachine<never, string> {
  constructor (private readonly peer: NodeId, private readonly intervalMs: number) {}
  private nextPingMs: number | undefined

  step (nowMs: number, input: Input<never>): Output<string> {
    const out: Output<string> = { sends: [], events: [], wakeAtMs: undefined }
    this.nextPingMs ??= nowMs + this.intervalMs
    if (input.kind === 'timer' && nowMs >= this.nextPingMs) {
      out.sends.push({ to: this.peer, channel: 'packet', bytes: new Uint8Array([1]) })
      this.nextPingMs = nowMs + this.intervalMs
    } else if (input.kind === 'message' && input.bytes[0] === 1) {
      out.sends.push({ to: input.from, channel: 'stream', bytes: new Uint8Array([2]) })
    } else if (input.kind === 'message') {
      out.events.push(`pong from ${input.from} at ${nowMs.toFixed(3)}`)
    }
    out.wakeAtMs = this.nextPingMs
    return out
  }
}

describe('SimNetwork with the core MachineDriver', () => {
  it('drives two state machines through SimTransport and SimScheduler on drifting clocks', () => {
    const queue = new EventQueue()
    const network = new SimNetwork(queue, new Xoshiro128(5), { delayMinMs: 1, delayMeanMs: 1 })
    const events: string[] = []
    for (const [id, peer, rate] of [['a', 'b', 1.001], ['b', 'a', 0.999]] as const) {
      const index = network.addNode(id)
      const scheduler = new SimScheduler(queue, new NodeClock(queue, { rate }), network.runtime(index))
      const driver = new MachineDriver(new PingPong(peer, 1_000), network.openTransport(index), scheduler, { onEvent: e => events.push(`${id}: ${e}`) })
      driver.start()
      driver.command(undefined as never) // the first step arms the timer
    }
    queue.runUntil(3_500)
    // a runs 1000 ppm fast: its pings leave at local 1000, 2000, 3000 = global 999.0..., and each pong
    // returns 2 ms later.
    assert.deepEqual(events.filter(e => e.startsWith('a:')), [
      'a: pong from b at 1002.002', 'a: pong from b at 2002.002', 'a: pong from b at 3002.002'
    ])
    assert.equal(events.filter(e => e.startsWith('b:')).length, 3)
  })
})
