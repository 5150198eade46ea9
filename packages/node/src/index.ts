/**
 * @packageDocumentation
 *
 * `@dreammesh/node` will be the dreammesh node: the libp2p host (tcp, noise, yamux, mdns, identify, ping,
 * gossipsub, pnet), the drivers that carry protocol messages over libp2p streams, the CLI (`dreammesh up`)
 * and the public `createDreamNode()`.
 *
 * **Most of that does not exist yet.** The real node, `createDreamNode()` included, arrives with the
 * real-node issue. What runs today is its first brick:
 *
 * - `Libp2pTransport` (`createLibp2pTransport(node, init)`): the core `Transport` seam over the streams of
 *   a libp2p 3 node you bring, passing the same compliance suite as the simulator's transport
 *   (`@dreammesh/sim/compliance`, ARCHITECTURE.md rule 3). Packets and frames travel on separate streams
 *   (`PACKET_PROTOCOL`, `FRAME_PROTOCOL`), packets never dial, and every bound and drop is named and counted
 *   (`Libp2pTransportStats`).
 *
 * It also re-exports, as types, the protocol surface the node builds on: `Transport` and its handler,
 * limits and stats; `Scheduler`; `StateMachine` with its inputs and outputs (driven by the same
 * `MachineDriver` the simulator uses, docs/adr/0001); and the membership types.
 *
 * @example
 * ```ts
 * import { createLibp2p } from 'libp2p'
 * import { memory } from '@libp2p/memory'
 * import { noise } from '@libp2p/noise'
 * import { yamux } from '@libp2p/yamux'
 * import { createLibp2pTransport } from '@dreammesh/node'
 *
 * const node = await createLibp2p({
 *   addresses: { listen: ['/memory/a'] },
 *   transports: [memory()],
 *   connectionEncrypters: [noise()],
 *   streamMuxers: [yamux()]
 * })
 * const transport = await createLibp2pTransport(node, { dialTimeoutMs: 2_000 })
 * transport.listen({
 *   onPacket: (from, bytes) => { console.log('packet', from, bytes.byteLength) },
 *   onFrame: (from, bytes) => { console.log('frame', from, bytes.byteLength) },
 *   onClosed: (peer) => { console.log('connection to', peer, 'closed (a hint)') }
 * })
 * transport.sendFrame('12D3KooW...', new Uint8Array([1, 2, 3])) // dials, bounded by dialTimeoutMs
 * await transport.close()
 * await node.stop()
 * ```
 */
export {
  createLibp2pTransport,
  Libp2pTransport,
  type Libp2pTransportInit,
  type Libp2pTransportNode
} from './transport/libp2p-transport.js'
export { emptyLibp2pTransportStats, type Libp2pTransportStats } from './transport/stats.js'
export * from './transport/constants.js'

export type {
  Channel,
  Input,
  MemberMeta,
  MemberRole,
  MemberState,
  MemberView,
  MembershipCommand,
  MembershipConfig,
  MembershipEvent,
  NodeId,
  Output,
  Rng,
  Scheduler,
  Send,
  StateMachine,
  Transport,
  TransportHandler,
  TransportLimits,
  TransportStats
} from '@dreammesh/protocols'
