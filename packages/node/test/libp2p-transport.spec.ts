import assert from 'node:assert/strict'
import { memory } from '@libp2p/memory'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { createLibp2p, type Libp2p } from 'libp2p'
import type { NodeId } from '@dreammesh/protocols'
import { FRAME_PROTOCOL, PACKET_PROTOCOL } from '../src/transport/constants.js'
import { encodeLengthPrefixed } from '../src/transport/length-prefix.js'
import { createLibp2pTransport, type Libp2pTransport } from '../src/transport/libp2p-transport.js'

/** What the compliance suite cannot see: the real transport's own bounds and counters. */

/** How long to wait for something to happen over @libp2p/memory, in ms. */
const WAIT_BUDGET_MS = 5_000
/** Granularity of waiting, in ms. */
const POLL_MS = 10

let addresses = 0
let nodes: Libp2p[] = []
let transports: Libp2pTransport[] = []

async function start (count: number, connect: boolean): Promise<Array<{ node: Libp2p, transport: Libp2pTransport }>> {
  const made = await Promise.all(Array.from({ length: count }, async () => {
    const node = await createLibp2p({
      addresses: { listen: [`/memory/dreammesh-transport-spec-${addresses++}`] },
      transports: [memory()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()]
    })
    const transport = await createLibp2pTransport(node, { maxPacketBytes: 600, maxFrameBytes: 1_000 })
    nodes.push(node)
    transports.push(transport)
    return { node, transport }
  }))
  if (connect) for (let i = 1; i < count; i++) await made[0].node.dial(made[i].node.getMultiaddrs()[0])
  return made
}

async function waitFor (done: () => boolean): Promise<void> {
  for (let waitedMs = 0; !done() && waitedMs < WAIT_BUDGET_MS; waitedMs += POLL_MS) {
    await new Promise(resolve => setTimeout(resolve, POLL_MS))
  }
}

function frames (transport: Libp2pTransport): Array<{ from: NodeId, bytes: Uint8Array }> {
  const got: Array<{ from: NodeId, bytes: Uint8Array }> = []
  transport.listen({ onPacket: () => {}, onFrame: (from, bytes) => { got.push({ from, bytes }) }, onClosed: () => {} })
  return got
}

describe('Libp2pTransport', function () {
  this.timeout(30_000)

  afterEach(async () => {
    await Promise.allSettled(transports.map(async t => { await t.close() }))
    await Promise.allSettled(nodes.map(async n => { await n.stop() }))
    transports = []
    nodes = []
  })

  it('resets the stream of a peer that announces a message over the bound, counts it, and keeps serving', async () => {
    const [a, b] = await start(2, true)
    const got = frames(b.transport)
    const raw = await a.node.dialProtocol(b.node.peerId, FRAME_PROTOCOL)
    let resetSeen = false
    raw.addEventListener('close', event => { resetSeen = event.error !== undefined })
    const prefix = new Uint8Array(4)
    new DataView(prefix.buffer).setUint32(0, 1_001)
    raw.send(prefix)
    raw.send(new Uint8Array(1_001))
    await waitFor(() => resetSeen && b.transport.stats.receivedOversizedDropped > 0)

    assert.equal(b.transport.stats.receivedOversizedDropped, 1)
    assert.ok(resetSeen, 'the offending stream is reset')
    assert.equal(got.length, 0)

    a.transport.sendFrame(b.transport.localId, Uint8Array.from([1, 2, 3]))
    await waitFor(() => got.length > 0)
    assert.deepEqual(got, [{ from: a.transport.localId, bytes: Uint8Array.from([1, 2, 3]) }], 'the next stream from that peer works')
  })

  it('counts a message cut short by its stream closing, and delivers nothing of it', async () => {
    const [a, b] = await start(2, true)
    const got = frames(b.transport)
    const raw = await a.node.dialProtocol(b.node.peerId, FRAME_PROTOCOL)
    raw.send(encodeLengthPrefixed(Uint8Array.from([5])))
    raw.send(encodeLengthPrefixed(new Uint8Array(100)).subarray(0, 50))
    await raw.close()
    await waitFor(() => b.transport.stats.receivedTruncatedDropped > 0)
    assert.equal(b.transport.stats.receivedTruncatedDropped, 1)
    assert.deepEqual(got.map(f => f.bytes), [Uint8Array.from([5])])
  })

  it('never dials for a packet: with no connection it is dropped and counted', async () => {
    const [a, b] = await start(2, false)
    a.transport.sendPacket(b.transport.localId, Uint8Array.from([1]))
    await new Promise(resolve => setTimeout(resolve, 50))
    assert.equal(a.transport.stats.packetsNotConnectedDropped, 1)
    assert.equal(a.transport.stats.packetsSent, 0)
    assert.equal(a.node.getConnections(b.node.peerId).length, 0, 'no connection was opened')
  })

  it('a frame dials when needed, and packets then flow on the new connection', async () => {
    const [a, b] = await start(2, false)
    await a.node.peerStore.merge(b.node.peerId, { multiaddrs: b.node.getMultiaddrs() })
    let packets = 0
    const got: Uint8Array[] = []
    b.transport.listen({ onPacket: () => { packets++ }, onFrame: (_from, bytes) => { got.push(bytes) }, onClosed: () => {} })
    a.transport.sendFrame(b.transport.localId, Uint8Array.from([7]))
    await waitFor(() => got.length > 0)
    a.transport.sendPacket(b.transport.localId, Uint8Array.from([8]))
    await waitFor(() => packets > 0)
    assert.deepEqual(got, [Uint8Array.from([7])])
    assert.equal(packets, 1)
  })

  it('a handler that throws is counted and does not stop later messages', async () => {
    const [a, b] = await start(2, true)
    let calls = 0
    b.transport.listen({
      onPacket: () => {},
      onFrame: () => { if (++calls === 1) throw new Error('protocol bug') },
      onClosed: () => {}
    })
    a.transport.sendFrame(b.transport.localId, Uint8Array.from([1]))
    a.transport.sendFrame(b.transport.localId, Uint8Array.from([2]))
    await waitFor(() => calls >= 2)
    assert.equal(calls, 2)
    assert.equal(b.transport.stats.handlerErrors, 1)
  })

  it('speaks its two protocols on separate streams', async () => {
    const [a, b] = await start(2, true)
    b.transport.listen({ onPacket: () => {}, onFrame: () => {}, onClosed: () => {} })
    a.transport.sendPacket(b.transport.localId, Uint8Array.from([1]))
    a.transport.sendFrame(b.transport.localId, Uint8Array.from([2]))
    await waitFor(() => b.transport.stats.packetsReceived + b.transport.stats.framesReceived >= 2)
    const protocols = a.node.getConnections(b.node.peerId).flatMap(c => c.streams.map(s => s.protocol)).sort()
    assert.deepEqual(protocols, [FRAME_PROTOCOL, PACKET_PROTOCOL].sort())
  })
})
