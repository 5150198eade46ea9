/**
 * @packageDocumentation
 *
 * `@dreammesh/node` is the dreammesh node: a libp2p 3 peer that joins a LAN cluster with zero
 * configuration, admits only holders of the cluster code, gossips membership (SWIM with Lifeguard, from
 * @dreammesh/protocols, unmodified), health and resources, and serves a local API and the `dreammesh` CLI.
 *
 * `createDreamNode(options)` opens the data dir (identity, incarnation, cluster secret; all mode 0600,
 * written atomically), settles who it admits, and returns a `DreamNode`:
 * - `start()`, `stop()`, `leave()` (graceful: peers see `left`, not `dead`);
 * - `peerId`, `clusterId`, `getMultiaddrs()`, `self()`, `members()`, `member(idOrName)` and
 *   `resolveMember(idOrName)` (a name shared by several remembered members is `ambiguous`, never guessed);
 * - `resourcesOf(member)`: its newest `ResourceRecord` (CPU, load, memory, disk, network, uptime, power,
 *   capabilities), sampled every second and gossiped when it changes beyond a threshold;
 * - `sinceHeardMs(id)`, `rttMs(id)`, `counters()`, `registry` (prom-client: the node's and libp2p's metrics);
 * - `desiredState`: the replicated, fsynced desired state (workloads, lease voters, deny list; ADR 0011), and
 *   `revoke(idOrName)`: put a lost or stolen member on the deny list, refused by every node from then on;
 * - with `workloads: true` (as `dreammesh up` runs), `workloads`: the service that places the desired
 *   workloads, leases their slots and supervises their processes (`instances()`, `placement()`);
 * - typed events (`DreamNodeEvents`): `member:joined`, `member:suspect`, `member:alive`, `member:dead`,
 *   `member:left`, `member:updated`, `resources:changed`, `node:name-taken`, `node:stopped`, `node:warning`.
 *
 * The host: tcp (or the transports you pass), pnet keyed from the cluster code (`generateClusterCode()`,
 * `parseClusterCode()`; ADR 0006), noise, yamux, identify, ping, gossipsub in StrictSign mode, and mDNS
 * under the cluster's own service name. libp2p 3 dials nothing it discovers; the node dials every peer mDNS
 * finds and every member it learns of, and keeps one long-lived stream per peer for membership. A closed
 * connection is a hint to membership (probe now), never a verdict.
 *
 * Also exported: the local API server and client (`startApiServer`, `ApiClient`), resource sampling
 * (`ResourceSampler`), the transport seam over libp2p (`Libp2pTransport`, which passes the simulator's
 * compliance suite), the data-dir pieces (`writeFileAtomic`, `lockDataDir`), and the CLI (`main`).
 *
 * @example
 * ```ts
 * import { createDreamNode, generateClusterCode } from '@dreammesh/node'
 *
 * const node = await createDreamNode({
 *   dataDir: '/var/lib/my-tool/dreammesh',
 *   name: 'desk',
 *   role: 'client',
 *   cluster: 'k7qm-2x9d-...',            // from `dreammesh init`, or generateClusterCode().text
 *   listen: ['/ip4/0.0.0.0/tcp/4711']    // mDNS finds the others; `bootstrap` adds peers by address
 * })
 * node.addEventListener('member:joined', (event) => { console.log('joined:', event.detail.member.meta.name) })
 * node.addEventListener('member:dead', (event) => { console.log('dead:', event.detail.member.meta.name) })
 * node.addEventListener('resources:changed', (event) => {
 *   console.log(event.detail.member.meta.name, node.resourcesOf(event.detail.member)?.cpuPercent, '% CPU')
 * })
 * await node.start()
 * console.log('I am', node.peerId.toString(), 'in cluster', node.clusterId)
 * // ... later
 * console.log(node.members().map(m => `${m.meta.name} ${m.state}`))
 * await node.leave()
 * ```
 */
export { createDreamNode, DreamNode, NodeConfigError, CONFIG_PRESETS, type ConfigPresetName, type DreamNodeOptions, type StopOptions } from './node/dream-node.js'
export type { DreamNodeEvents, MemberEventDetail } from './node/events.js'
export { RESOURCES_TOPIC, FAST_COPY_REASONS, type GossipDropReason } from './node/resource-channel.js'
export { memberJson } from './node/member-json.js'
export { NodeApiSource } from './node/api-source.js'
export { startApiServer, ApiClient, createMetricsRegistry, instrumentRegistry, resolveMember, ApiClientError, ApiError, ApiServerError, type ApiServer, type ApiServerInit, type ApiTcpInit, type ApiClientInit, type ApiMetrics, type Resolution, type ApiErrorBody, type ApiEvent, type ApiSource, type HeartbeatLine, type OverflowLine, type MemberJson } from './api/index.js'
export * from './api/constants.js'
export * from './resources/index.js'
export { main as runCli, COMMANDS } from './cli/main.js'
export * from './node/constants.js'
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

export { homeConfig, lanConfig, localTestConfig, wanConfig, decodeResourceRecord, encodeResourceRecord, resourcePolicy } from '@dreammesh/protocols'
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
  TransportStats,
  ResourceRecord,
  ResourcePolicy,
  PowerState,
  CapabilitySummary
} from '@dreammesh/protocols'
export * from './desired-state/index.js'
export { createWorkloadSupervisor, WorkloadSupervisor, InstanceSpecError, InstanceStartError, probeCgroups, probeBubblewrap, RotatingLog, readLogTail, FINAL_STATES, type SupervisorInit, type SupervisorCapabilities, type InstanceSpec, type RestartPolicy, type RestartMode, type HealthCheckSpec, type HealthProbe, type InstanceState as SupervisedInstanceState, type InstanceStatus as SupervisedInstanceStatus, type WorkloadEvent, type KillByOutcome, type CgroupCapabilities, type KillMethod, type Bubblewrap, type LogStream } from './workloads/index.js'
export { WorkloadsService, type WorkloadsNode, type WorkloadsServiceInit } from './agent/workloads-service.js'
export { InstanceBoard, INSTANCES_TOPIC, type PlacedInstance } from './agent/instance-board.js'
export { LeaseHost, LEASE_PROTOCOLS, type LeaseHostInit } from './leases/lease-host.js'
export type { WorkloadJson } from './api/types.js'
export { ClusterInstance, NotAnInstanceError, type InstancePeer } from './sdk/index.js'
export type { WorkloadDetailJson } from './api/types.js'
