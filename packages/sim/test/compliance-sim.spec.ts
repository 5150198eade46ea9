import assert from 'node:assert/strict'
import { Xoshiro128, type Transport } from '@dreammesh/protocols'
import { EventQueue } from '../src/clock/event-queue.js'
import { runTransportCompliance, type TransportHarness } from '../src/compliance/transport-compliance.js'
import { NodeFaults } from '../src/faults/node-faults.js'
import { wifiProfile, type SimNetworkOptions } from '../src/network/options.js'
import { SimNetwork } from '../src/network/sim-network.js'
import { SimTransport } from '../src/network/sim-transport.js'

const SEED = 0x5eed

/** A sim harness that also exposes its current network, so the spec can check the faults really happened. */
interface SimHarness extends TransportHarness {
  readonly network: () => SimNetwork
}

function simHarness (name: string, options: SimNetworkOptions, duplicatesAndReorders: boolean): SimHarness {
  // Each test gets a fresh network from `create`, with its own sub-seed.
  let queue!: EventQueue
  let network!: SimNetwork
  let faults!: NodeFaults
  let runs = 0
  return {
    name,
    duplicatesAndReorders,
    network: () => network,
    async create (count: number): Promise<Transport[]> {
      queue = new EventQueue()
      network = new SimNetwork(queue, new Xoshiro128(SEED).fork(`run-${runs++}`), options)
      faults = new NodeFaults(network)
      const transports: Transport[] = []
      for (let i = 0; i < count; i++) transports.push(network.openTransport(network.addNode(`node-${i}`)))
      return transports
    },
    async advance (ms: number): Promise<void> {
      queue.runFor(ms)
    },
    async crash (transport: Transport): Promise<void> {
      assert.ok(transport instanceof SimTransport)
      faults.crash(transport.index)
    },
    unreachableId: () => 'node-nobody',
    async teardown (): Promise<void> {}
  }
}

const packets = simHarness('SimTransport, packets model (lossy, duplicating, reordering)', {
  ...wifiProfile(),
  model: 'packets',
  lossProbability: 0.05,
  duplicateProbability: 0.1,
  reorderProbability: 0.1
}, true)
const streams = simHarness('SimTransport, streams model (WiFi loss as retransmissions)', {
  ...wifiProfile(),
  model: 'streams',
  lossProbability: 0.05
}, false)

runTransportCompliance(packets)
runTransportCompliance(streams)

describe('the compliance harnesses exercise the faults they claim', () => {
  it('the packets model really loses, duplicates and reorders packets, and retransmits frames', async () => {
    const [a, b] = await packets.create(2)
    const seen: number[] = []
    b.listen({ onPacket: (_from, bytes) => { seen.push(bytes[0] | (bytes[1] << 8)) }, onFrame: () => {}, onClosed: () => {} })
    for (let seq = 0; seq < 2_000; seq++) {
      a.sendPacket(b.localId, new Uint8Array([seq & 0xff, seq >> 8]))
      if (seq % 10 === 0) a.sendFrame(b.localId, new Uint8Array(10))
      await packets.advance(1)
    }
    await packets.advance(1_000)
    const totals = packets.network().totals()
    assert.ok(totals.packetsDropped.loss > 0, 'some packets were lost')
    assert.ok(totals.packetsDuplicated > 0, 'some packets were duplicated')
    assert.ok(seen.some((seq, i) => i > 0 && seq < seen[i - 1]), 'some packets overtook others')
    assert.ok(totals.framesRetransmitted > 0, 'some frames were retransmitted')
    assert.equal(totals.framesReceived, 200, 'and still every frame arrived')
  })

  it('the streams model loses nothing, yet retransmits', async () => {
    const [a, b] = await streams.create(2)
    for (let seq = 0; seq < 1_000; seq++) a.sendPacket(b.localId, new Uint8Array(8))
    await streams.advance(10_000)
    const totals = streams.network().totals()
    assert.ok(totals.framesRetransmitted > 0)
    assert.equal(totals.packetsReceived, 1_000)
    assert.equal(totals.packetsDropped.loss, 0)
  })
})
