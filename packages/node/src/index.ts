/**
 * @packageDocumentation
 *
 * `@dreammesh/node` is the dreammesh node: a libp2p 3 peer that joins a cluster, runs the membership
 * protocol (SWIM with Lifeguard, from @dreammesh/protocols, unmodified) over libp2p streams, and tells you
 * who is alive.
 *
 * `createDreamNode(options)` loads (or creates) the node's Ed25519 identity in its data dir and returns a
 * `DreamNode`: `start()`, `stop()`, `peerId`, `self()`, `members()`, and typed events (`DreamNodeEvents`):
 * `member:joined`, `member:suspect`, `member:alive`, `member:dead`, `member:left`, `member:updated`.
 *
 * What is here so far:
 * - the node itself (`DreamNode`): a libp2p host (tcp by default, noise, yamux, identify, ping) that dials
 *   its bootstrap peers and every member it learns of (libp2p 3 does not auto-dial), and passes a closed
 *   connection to membership as a hint, never a verdict;
 * - `Libp2pTransport`: the core `Transport` seam over libp2p streams, one long-lived stream per peer and
 *   latency class, passing the simulator's compliance suite; packets never dial;
 * - `RealScheduler`: the core `Scheduler` on `performance.now()` and unref'd `setTimeout`;
 * - the data dir: identity and incarnation written atomically (temp file, fsync, rename, fsync the dir),
 *   mode 0600, so a restarted node keeps its peer id and comes back above its last incarnation.
 *
 * Still to come (issue 4): mDNS discovery, the private network (pnet) and cluster secret, gossipsub,
 * resource sampling, the local API and the CLI.
 *
 * @example
 * ```ts
 * import { createDreamNode } from '@dreammesh/node'
 *
 * const node = await createDreamNode({
 *   dataDir: '/var/lib/dreammesh',
 *   name: 'desk',
 *   role: 'client',
 *   listen: ['/ip4/0.0.0.0/tcp/4711'],
 *   bootstrap: ['/ip4/192.168.1.10/tcp/4711/p2p/12D3KooW...']
 * })
 * node.addEventListener('member:joined', (event) => { console.log('joined:', event.detail.member.meta.name) })
 * node.addEventListener('member:dead', (event) => { console.log('dead:', event.detail.member.meta.name) })
 * await node.start()
 * console.log('I am', node.peerId.toString(), 'at', node.getMultiaddrs().map(String))
 * // ... later
 * console.log(node.members().map(m => `${m.meta.name} ${m.state}`))
 * await node.stop()
 * ```
 */
export { createDreamNode, DreamNode, NodeConfigError, CONFIG_PRESETS, type ConfigPresetName, type DreamNodeOptions, type StopOptions } from './node/dream-node.js'
export type { DreamNodeEvents, MemberEventDetail } from './node/events.js'
export { DEFAULT_LISTEN, MEMBER_DIAL_TIMEOUT_MS, MAX_ADVERTISED_ADDR_BYTES, MAX_ADVERTISED_ADDRS, MAX_CONCURRENT_MEMBER_DIALS } from './node/constants.js'
export * from './secret/index.js'
export { lockDataDir, DataDirLockedError, LOCK_FILE, type DataDirLock } from './identity/lock.js'
export { NameTakenError, NAME_CLAIM_WINDOW_MS } from './node/name-guard.js'
export { createHost, type DreamHost, type HostInit, type HostServices, MDNS_QUERY_INTERVAL_MS, MAX_CONNECTIONS, INBOUND_CONNECTIONS_PER_HOST_PER_S, MAX_GOSSIP_RPC_BYTES } from './host/libp2p-host.js'
export { RealScheduler } from './clock/real-scheduler.js'
export { DataDirError } from './identity/data-dir.js'
export { IDENTITY_FILE, loadOrCreateIdentity } from './identity/identity.js'
export { INCARNATION_FILE, IncarnationStore } from './identity/incarnation.js'
export { writeFileAtomic, CrashPoint, type AtomicWriteOptions, type AtomicWriteStep } from './identity/atomic-file.js'

export {
  createLibp2pTransport,
  Libp2pTransport,
  type Libp2pTransportInit,
  type Libp2pTransportNode
} from './transport/libp2p-transport.js'
export { emptyLibp2pTransportStats, type Libp2pTransportStats } from './transport/stats.js'
export * from './transport/constants.js'

export { lanConfig, localTestConfig, wanConfig } from '@dreammesh/protocols'
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
