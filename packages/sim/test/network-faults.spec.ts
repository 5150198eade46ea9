import assert from 'node:assert/strict'
import { Xoshiro128, type NodeId, type TransportHandler } from '@dreammesh/protocols'
import { EventQueue } from '../src/clock/event-queue.js'
import { NodeClock } from '../src/clock/node-clock.js'
import { SimScheduler } from '../src/clock/sim-scheduler.js'
import { NodeFaults } from '../src/faults/node-faults.js'
import type { DropCounters } from '../src/network/counters.js'
import { wifiProfile, type SimNetworkOptions, type TransportModel } from '../src/network/options.js'
import { SimNetwork } from '../src/network/sim-network.js'
import type { SimTransport } from '../src/network/sim-transport.js'

interface Delivery { atMs: number, kind: 'packet' | 'frame' | 'closed' | 'timer', from: NodeId, to: NodeId, seq?: number }

/** A fixed 1 ms one-way delay unless overridden, so arrival times are exact. */
const EXACT: SimNetworkOptions = { delayMinMs: 1, delayMeanMs: 1, dialTimeoutMs: 5_000 }

function world (count: number, options: SimNetworkOptions = EXACT, seed = 3): {
  queue: EventQueue, network: SimNetwork, faults: NodeFaults, t: SimTransport[], trace: Delivery[], listen: (index: number) => void
} {
  const queue = new EventQueue()
  const network = new SimNetwork(queue, new Xoshiro128(seed), options)
  const faults = new NodeFaults(network)
  const trace: Delivery[] = []
  const t: SimTransport[] = []
  const listen = (index: number): void => {
    const transport = network.transportOf(index)
    assert.ok(transport !== undefined)
    transport.listen(recorder(trace, queue, transport.localId))
    t[index] = transport
  }
  for (let i = 0; i < count; i++) {
    network.openTransport(network.addNode(`n${i}`))
    listen(i)
  }
  return { queue, network, faults, t, trace, listen }
}

function recorder (trace: Delivery[], queue: EventQueue, to: NodeId): TransportHandler {
  return {
    onPacket: (from, bytes) => { trace.push({ atMs: queue.nowMs, kind: 'packet', from, to, seq: bytes[0] }) },
    onFrame: (from, bytes) => { trace.push({ atMs: queue.nowMs, kind: 'frame', from, to, seq: bytes[0] }) },
    onClosed: (peer) => { trace.push({ atMs: queue.nowMs, kind: 'closed', from: peer, to }) }
  }
}

const seq = (n: number): Uint8Array => new Uint8Array([n])
const summary = (trace: Delivery[]): string[] => trace.map(d => `${d.kind} ${d.from}->${d.to}${d.seq === undefined ? '' : ` #${d.seq}`}`)

describe('SimNetwork: partitions', () => {
  it('split() drops both ways across the cut, reports frames closed after dialTimeoutMs, and heals', () => {
    const { queue, network, t, trace } = world(4)
    const cut = network.split([0, 1], [2, 3])
    t[0].sendPacket('n2', seq(1))
    t[2].sendPacket('n0', seq(2))
    t[0].sendPacket('n1', seq(3))
    t[3].sendPacket('n2', seq(4))
    t[0].sendFrame('n3', seq(5))
    queue.runFor(10_000)
    assert.deepEqual(summary(trace), ['packet n0->n1 #3', 'packet n3->n2 #4', 'closed n3->n0'])
    assert.equal(trace[2].atMs, 5_000, 'the frame is reported closed when the dial times out')
    assert.equal(t[0].stats.unreachableDropped, 1)
    assert.deepEqual([network.counters(0).packetsDropped.partition, network.counters(2).packetsDropped.partition, network.counters(0).framesDropped.partition], [1, 1, 1])

    cut.heal()
    cut.heal()
    assert.equal(network.partitionCount, 0)
    trace.length = 0
    t[0].sendPacket('n2', seq(6))
    t[2].sendFrame('n0', seq(7))
    queue.runFor(100)
    assert.deepEqual(summary(trace), ['packet n0->n2 #6', 'frame n2->n0 #7'])
  })

  it('isolate() cuts one node off from everyone while the rest still talk', () => {
    const { queue, network, t, trace } = world(3)
    const cut = network.isolate(1)
    for (const [from, to] of [[0, 1], [1, 0], [1, 2], [2, 1], [0, 2], [2, 0]]) t[from].sendPacket(`n${to}`, seq(from * 10 + to))
    queue.runFor(100)
    assert.deepEqual(summary(trace), ['packet n0->n2 #2', 'packet n2->n0 #20'])
    cut.heal()
    t[1].sendPacket('n0', seq(10))
    queue.runFor(100)
    assert.equal(trace.length, 3)
  })

  it('asymmetric() drops only one direction: the far side hears and is never heard', () => {
    const { queue, network, t, trace } = world(3)
    const oneWay = network.asymmetric(0, 1)
    t[0].sendPacket('n1', seq(1))
    t[0].sendFrame('n1', seq(2))
    t[1].sendPacket('n0', seq(3))
    t[1].sendFrame('n0', seq(4))
    t[0].sendPacket('n2', seq(5))
    queue.runFor(10_000)
    assert.deepEqual(summary(trace), ['packet n1->n0 #3', 'frame n1->n0 #4', 'packet n0->n2 #5', 'closed n1->n0'])
    oneWay.heal()
    trace.length = 0
    const toAll = network.asymmetric(2)
    t[2].sendPacket('n0', seq(6))
    t[0].sendPacket('n2', seq(7))
    t[0].sendPacket('n1', seq(8))
    queue.runFor(100)
    assert.deepEqual(summary(trace), ['packet n0->n2 #7', 'packet n0->n1 #8'])
    assert.equal(toAll.active, true)
    network.healAll()
    assert.equal(toAll.active, false)
  })

  it('overlapping partitions cut until the last of them heals', () => {
    const { queue, network, t, trace } = world(2)
    const first = network.isolate(0)
    network.split([1], [0])
    first.heal()
    t[0].sendPacket('n1', seq(1))
    queue.runFor(100)
    assert.equal(trace.length, 0)
    network.healAll()
    t[0].sendPacket('n1', seq(2))
    queue.runFor(100)
    assert.deepEqual(summary(trace), ['packet n0->n1 #2'])
  })
})

describe('SimNetwork: clogs', () => {
  it('holds a link\'s messages until the clog lifts, in one direction only', () => {
    const { queue, network, t, trace } = world(2)
    network.clog(0, 1, 500)
    t[0].sendPacket('n1', seq(1))
    t[0].sendFrame('n1', seq(2))
    t[1].sendPacket('n0', seq(3))
    queue.runFor(400)
    t[0].sendPacket('n1', seq(4))
    queue.runFor(1_000)
    assert.deepEqual(trace.map(d => [d.atMs, d.seq]), [[1, 3], [501, 1], [501, 2], [501, 4]])
    trace.length = 0
    t[0].sendPacket('n1', seq(5))
    queue.runFor(10)
    assert.deepEqual(trace.map(d => d.atMs), [1_401], 'after the clog, the usual delay')
    network.clog(0, 1, 1_000_000)
    network.unclog(0, 1)
    t[0].sendPacket('n1', seq(6))
    queue.runFor(10)
    assert.equal(trace.at(-1)?.atMs, 1_411, 'unclog lifts it early')
  })
})

describe('SimNetwork: pause and slow nodes', () => {
  it('holds deliveries and timers to a paused node and releases them at once, in the order they came due', () => {
    const { queue, network, faults, t, trace } = world(2)
    const scheduler = new SimScheduler(queue, new NodeClock(queue), network.runtime(1))
    scheduler.at(450.5, () => trace.push({ atMs: queue.nowMs, kind: 'timer', from: 'n1', to: 'n1' }))
    faults.pause(1, 1_001)
    for (let i = 0; i < 10; i++) {
      t[0].sendFrame('n1', seq(i))
      if (i % 2 === 0) t[0].sendPacket('n1', seq(100 + i))
      queue.runFor(100)
    }
    assert.equal(trace.length, 0, 'nothing happens on a paused node')
    assert.ok(network.runtime(1).heldCount > 0)
    queue.runFor(1)
    assert.ok(trace.every(d => d.atMs === 1_001), 'everything runs when the pause ends')
    assert.deepEqual(trace.map(d => d.kind === 'timer' ? 'timer' : d.seq), [
      0, 100, 1, 2, 102, 3, 4, 104, 'timer', 5, 6, 106, 7, 8, 108, 9
    ])
    trace.length = 0
    t[0].sendPacket('n1', seq(1))
    queue.runFor(10)
    assert.deepEqual(trace.map(d => d.atMs), [1_002], 'and then delivery is back to normal')
  })

  it('tells a paused node of a closed connection only when it resumes', () => {
    const { queue, faults, t, trace } = world(2)
    faults.pause(0, 8_000)
    t[0].sendFrame('nobody', seq(1))
    queue.runFor(7_999)
    assert.equal(trace.length, 0)
    queue.runFor(1)
    assert.deepEqual(trace.map(d => [d.kind, d.from, d.atMs]), [['closed', 'nobody', 8_000]])
  })

  it('adds a slow node\'s processing time to every delivery to it, and keeps order when it changes', () => {
    const { queue, faults, t, trace } = world(3)
    faults.slow(1, 50)
    t[0].sendPacket('n1', seq(1))
    t[0].sendPacket('n2', seq(2))
    queue.runFor(100)
    assert.deepEqual(trace.map(d => [d.to, d.atMs]), [['n2', 1], ['n1', 51]])
    trace.length = 0
    for (let i = 0; i < 40; i++) {
      t[0].sendFrame('n1', seq(i))
      if (i === 20) faults.slow(1, 0)
      queue.runFor(1)
    }
    queue.runFor(1_000)
    assert.deepEqual(trace.map(d => d.seq), Array.from({ length: 40 }, (_, i) => i), 'frames stay in order')
    // Frames 0 to 19 were deferred to 151..170; later ones queue behind frame 19 rather than overtake it.
    assert.deepEqual(trace.slice(19).map(d => d.atMs), new Array(21).fill(170))
    t[0].sendFrame('n1', seq(40))
    queue.runFor(10)
    assert.equal(trace.at(-1)?.atMs, queue.nowMs - 9, 'once the backlog drains, delivery is back to the network delay')
  })
})

describe('NodeFaults: crash and restart', () => {
  for (const model of ['packets', 'streams'] as TransportModel[]) {
    it(`crash() tells recent frame peers their connection closed, after one delay (${model} model)`, () => {
      const { queue, faults, t, trace } = world(4, { ...EXACT, model })
      t[2].sendFrame('n1', seq(1)) // too long ago by the time of the crash
      queue.runFor(61_000)
      t[0].sendFrame('n1', seq(2)) // recent: a live connection
      t[1].sendFrame('n3', seq(3)) // the crashed node's own recent peer
      queue.runFor(10)
      trace.length = 0
      faults.crash(1)
      queue.runFor(10_000)
      assert.deepEqual(summary(trace).sort(), ['closed n1->n0', 'closed n1->n3'])
      assert.ok(trace.every(d => d.atMs === 61_011))
      assert.equal(faults.isAlive(1), false)
    })
  }

  it('crash() of a machine tells nobody, and later frames to it time out as unreachable', () => {
    const { queue, faults, t, trace } = world(2)
    t[0].sendFrame('n1', seq(1))
    queue.runFor(10)
    trace.length = 0
    faults.crash(1, { machineLoss: true })
    queue.runFor(1_000)
    assert.equal(trace.length, 0)
    t[0].sendFrame('n1', seq(2))
    queue.runFor(10_000)
    assert.deepEqual(trace.map(d => [d.kind, d.from, d.atMs]), [['closed', 'n1', 6_010]])
    assert.equal(t[0].stats.unreachableDropped, 1)
  })

  it('crash() behind a partition tells nobody: the FIN cannot cross the cut', () => {
    const { queue, network, faults, t, trace } = world(3)
    t[0].sendFrame('n1', seq(1))
    t[2].sendFrame('n1', seq(2))
    queue.runFor(10)
    trace.length = 0
    network.split([1], [0])
    faults.crash(1)
    queue.runFor(100)
    assert.deepEqual(summary(trace), ['closed n1->n2'])
  })

  it('crash() loses frames in flight both ways, while datagrams already on the wire still land', () => {
    const { queue, network, faults, t, trace } = world(2, { ...EXACT, delayMinMs: 10, delayMeanMs: 10 })
    t[1].sendFrame('n0', seq(1))
    t[1].sendPacket('n0', seq(2))
    t[0].sendFrame('n1', seq(3))
    t[0].sendPacket('n1', seq(4))
    queue.runFor(5)
    faults.crash(1, { machineLoss: true })
    t[1].sendPacket('n0', seq(5))
    t[1].sendFrame('n0', seq(6))
    queue.runFor(100)
    assert.deepEqual(summary(trace), ['packet n1->n0 #2'])
    assert.equal(network.counters(1).framesDropped.closed, 1)
    assert.equal(network.counters(0).framesDropped.closed, 1)
    assert.equal(network.counters(0).packetsDropped.closed, 1)
    assert.equal(network.inFlight, 0)
  })

  it('crash() of a paused node discards what it held', () => {
    const { queue, network, faults, t, trace } = world(2)
    faults.pause(1, 1_000)
    for (let i = 0; i < 5; i++) t[0].sendPacket('n1', seq(i))
    queue.runFor(100)
    faults.crash(1)
    queue.runFor(2_000)
    assert.equal(trace.length, 0)
    assert.equal(network.runtime(1).heldCount, 0)
    assert.equal(network.inFlight, 0)
    assert.equal(network.counters(0).packetsDropped.closed, 5)
  })

  it('restart() opens a fresh transport that gets new traffic, stray datagrams, and none of the old frames', () => {
    const { queue, network, faults, t, trace, listen } = world(2, { ...EXACT, delayMinMs: 10, delayMeanMs: 10 })
    const scheduler = new SimScheduler(queue, new NodeClock(queue), network.runtime(1))
    scheduler.at(50, () => trace.push({ atMs: queue.nowMs, kind: 'timer', from: 'n1', to: 'n1', seq: 0 }))
    const old = t[1]
    t[0].sendFrame('n1', seq(1))
    t[0].sendPacket('n1', seq(2))
    queue.runFor(5)
    faults.crash(1)
    const fresh = faults.restart(1)
    assert.notEqual(fresh, old)
    assert.equal(old.closed, true)
    listen(1)
    scheduler.at(60, () => trace.push({ atMs: queue.nowMs, kind: 'timer', from: 'n1', to: 'n1', seq: 1 }))
    old.sendFrame('n0', seq(3)) // the dead incarnation's transport sends nothing
    t[0].sendFrame('n1', seq(4))
    fresh.sendFrame('n0', seq(5))
    queue.runFor(100)
    assert.deepEqual(summary(trace), ['packet n0->n1 #2', 'closed n1->n0', 'frame n0->n1 #4', 'frame n1->n0 #5', 'timer n1->n1 #1'])
    assert.equal(faults.isAlive(1), true)
  })

  it('restart() of a running node crashes it first', () => {
    const { queue, faults, t, trace } = world(2)
    t[0].sendFrame('n1', seq(1))
    queue.runFor(10)
    trace.length = 0
    const fresh = faults.restart(1)
    queue.runFor(10)
    assert.deepEqual(summary(trace), ['closed n1->n0'])
    assert.equal(fresh.closed, false)
  })

  it('close() is a graceful crash: peers hear of it, and the node stays alive to open again', async () => {
    const { queue, network, faults, t, trace } = world(2)
    t[0].sendFrame('n1', seq(1))
    queue.runFor(10)
    trace.length = 0
    await t[1].close()
    queue.runFor(10)
    assert.deepEqual(summary(trace), ['closed n1->n0'])
    assert.equal(faults.isAlive(1), true)
    assert.equal(network.transportOf(1), undefined)
  })
})

describe('SimNetwork: counters', () => {
  it('account for every message under random faults: sent = received + dropped', () => {
    const { queue, network, faults, t } = world(6, { ...wifiProfile(), duplicateProbability: 0.05, reorderProbability: 0.05 }, 17)
    const rng = new Xoshiro128(23)
    for (let ms = 0; ms < 20_000; ms++) {
      const from = rng.int(6)
      const to = rng.int(6)
      t[from] = network.transportOf(from) ?? t[from]
      t[from].sendPacket(`n${to}`, seq(1))
      if (ms % 4 === 0) t[from].sendFrame(`n${to}`, seq(2))
      const roll = rng.float()
      if (roll < 0.001) faults.crash(rng.int(6), { machineLoss: rng.float() < 0.5 })
      else if (roll < 0.002) faults.restart(rng.int(6))
      else if (roll < 0.003) faults.pause(rng.int(6), rng.int(3_000))
      else if (roll < 0.004) network.isolate(rng.int(6))
      else if (roll < 0.005) network.healAll()
      queue.runFor(1)
    }
    queue.runFor(600_000)
    const total = network.totals()
    const lost = (d: DropCounters): number => d.loss + d.partition + d.unreachable + d.closed + d.retransmitLimit
    assert.equal(total.packetsSent + total.packetsDuplicated, total.packetsReceived + lost(total.packetsDropped))
    assert.equal(total.framesSent, total.framesReceived + lost(total.framesDropped))
    assert.ok(total.framesDropped.closed > 0 && total.framesDropped.partition > 0 && total.packetsDropped.loss > 0, 'the faults happened')
    assert.equal(network.inFlight, 0)
  })
})
