import { generateKeyPair } from '@libp2p/crypto/keys'
import { memory } from '@libp2p/memory'
import { noise } from '@libp2p/noise'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { yamux } from '@libp2p/yamux'
import { createLibp2p, type Libp2p } from 'libp2p'
import type { NodeId, Transport } from '@dreammesh/protocols'
import { runTransportCompliance, type TransportHarness } from '@dreammesh/sim/compliance'
import { createLibp2pTransport, Libp2pTransport } from '../src/transport/libp2p-transport.js'

/**
 * The shared compliance suite over real libp2p 3 nodes (noise, yamux) joined by @libp2p/memory: the real
 * stream stack, in one process, with no network.
 */

/** How long a test may wait for a harness dial, in ms; a memory dial takes a few ms. */
const HARNESS_DIAL_TIMEOUT_MS = 5_000

function libp2pHarness (): TransportHarness {
  let nodes: Libp2p[] = []
  let transports: Libp2pTransport[] = []
  /** Memory addresses live in one process-wide table, so every node of every test needs a fresh one. */
  let addresses = 0
  let unreachable: NodeId | undefined

  return {
    name: 'Libp2pTransport over @libp2p/memory (noise, yamux)',
    duplicatesAndReorders: false,
    async create (count: number): Promise<Transport[]> {
      // A real Ed25519 peer id whose key is thrown away: valid everywhere, answered by no one.
      unreachable ??= peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
      nodes = await Promise.all(Array.from({ length: count }, async () => await createLibp2p({
        addresses: { listen: [`/memory/dreammesh-compliance-${addresses++}`] },
        transports: [memory()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()]
      })))
      transports = await Promise.all(nodes.map(async node => await createLibp2pTransport(node)))
      // Connected up front, as membership's join does: the suite sends packets at once, and packets never dial.
      const dials: Array<Promise<unknown>> = []
      for (let i = 0; i < count; i++) {
        for (let j = i + 1; j < count; j++) {
          dials.push(nodes[i].dial(nodes[j].getMultiaddrs()[0], { signal: AbortSignal.timeout(HARNESS_DIAL_TIMEOUT_MS) }))
        }
      }
      await Promise.all(dials)
      return transports
    },
    async advance (ms: number): Promise<void> {
      await new Promise(resolve => setTimeout(resolve, ms))
    },
    async crash (transport: Transport): Promise<void> {
      const index = transports.indexOf(transport as Libp2pTransport)
      if (index < 0) throw new Error('crash: not a transport of this run')
      const node = nodes[index]
      // kill -9: the process stops handling anything at once, and its kernel resets every connection. The
      // peers see the resets, never a goodbye from the protocol.
      await transport.close()
      for (const connection of node.getConnections()) connection.abort(new Error('crashed'))
      await node.stop()
    },
    unreachableId: () => {
      if (unreachable === undefined) throw new Error('unreachableId() before create()')
      return unreachable
    },
    async teardown (): Promise<void> {
      await Promise.allSettled(transports.map(async t => { await t.close() }))
      await Promise.allSettled(nodes.map(async n => { await n.stop() }))
      transports = []
      nodes = []
    }
  }
}

runTransportCompliance(libp2pHarness())
