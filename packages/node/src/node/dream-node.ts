import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { TypedEventEmitter, type PeerId, type Startable } from '@libp2p/interface'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { tcp } from '@libp2p/tcp'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { Libp2pOptions } from 'libp2p'
import { Registry } from 'prom-client'
import {
  MachineDriver, Membership, Xoshiro128,
  type LeaseConfig, type MemberMeta, type MemberRole, type ResourceRecord, type MembershipCommand, type MembershipConfig, type MembershipEvent, type MemberView, type NodeId
} from '@dreammesh/protocols'
import { RealScheduler } from '../clock/real-scheduler.js'
import { CONFIG_PRESETS, presetConfig, type ConfigPresetName } from './config-presets.js'
import { createHost, type DreamHost } from '../host/libp2p-host.js'
import { openDataDir } from '../identity/data-dir.js'
import { loadOrCreateIdentity } from '../identity/identity.js'
import { IncarnationStore } from '../identity/incarnation.js'
import { clusterIdOfAdmission, type Admission } from '../secret/admission.js'
import { parseClusterCode } from '../secret/cluster-code.js'
import { loadClusterCode } from '../secret/secret-store.js'
import { createLibp2pTransport, type Libp2pTransport } from '../transport/libp2p-transport.js'
import { advertisedAddrs, P2P_CODE, peerIdOf } from './addrs.js'
import { DEAD_HANGUP_SILENCE_MS, DEFAULT_LISTEN, LEAVE_GRACE_MIN_MS, LEAVE_GRACE_GOSSIP_ROUNDS, MEMBER_DIAL_TIMEOUT_MS, RECONNECT_INTERVAL_MS } from './constants.js'
import { MEMBER_EVENT_NAMES, type DreamNodeEvents } from './events.js'
import { HeardTracker } from './heard-tracker.js'
import { JoinRetry } from './join-retry.js'
import { MemberDialer } from './member-dialer.js'
import { NameGuard } from './name-guard.js'
import { NodeMetrics } from './node-metrics.js'
import { ClusterState } from './cluster-state.js'
import { WorkloadsService } from '../agent/workloads-service.js'
import { ResourceChannel } from './resource-channel.js'
import { RttTracker } from './rtt-tracker.js'
import { resolveNamed, type Resolution } from '../api/resolve-member.js'
import type { DesiredStateStore } from '../desired-state/index.js'

/** A node that cannot start as asked: its message is for a person (the CLI prints it, no stack trace). */
export class NodeConfigError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'NodeConfigError'
  }
}

export interface DreamNodeOptions {
  /**
   * Where the node keeps what must survive a restart: its Ed25519 identity (`identity.key`), its membership
   * incarnation (`incarnation.json`) and the cluster secret (`cluster.secret`), all mode 0600. Created
   * (mode 0700) if missing; a dir that cannot be written fails `createDreamNode()` with a `DataDirError`.
   */
  dataDir: string
  /** The member name others see; unique in the cluster. @default os.hostname() */
  name?: string
  /** Equal standing in every protocol; what it is for is placement's business. @default 'server' */
  role?: MemberRole
  /** Capability tags gossiped with the member ("gpu", user tags). @default [] */
  tags?: string[]
  /**
   * The cluster code (from `dreammesh init`, or `generateClusterCode()`), when the data dir has none yet or
   * to check it against the stored one. Without it, the code stored in the data dir is used. Peers without
   * the code cannot complete a connection (libp2p pnet).
   */
  cluster?: string
  /**
   * Admit anyone who can reach the node: no private network. For demos on a trusted network only; the CLI
   * prints a warning. Cannot be combined with `cluster`.
   * @default false
   */
  insecureOpen?: boolean
  /** A membership preset name, or a whole config (start from a preset and change fields). @default 'home' */
  config?: ConfigPresetName | MembershipConfig
  /** Multiaddrs to listen on. @default DEFAULT_LISTEN (`/ip4/0.0.0.0/tcp/0`) */
  listen?: string[]
  /**
   * The libp2p transports. Tests pass `[memory()]` from @libp2p/memory with `/memory/...` listen addresses,
   * to run real nodes in one process without a network. @default [tcp()]
   */
  transports?: Libp2pOptions['transports']
  /** Find peers on the LAN with mDNS (under the cluster's own service name) and dial them. @default true */
  mdns?: boolean
  /**
   * Peers to join through, as multiaddrs ending in `/p2p/<peer id>` (without it, the address is dialed
   * first to learn who answers). If none can be reached at start, the join is retried every
   * `joinRetryIntervalMs` while no member is known.
   */
  bootstrap?: string[]
  /** How long one dial may take (bootstrap peers, learned members, membership's frames), in ms. @default MEMBER_DIAL_TIMEOUT_MS (5,000) */
  dialTimeoutMs?: number
  /** Where the node registers its metrics (membership, libp2p's own). @default a new prom-client Registry */
  registry?: Registry
  /**
   * Sample this machine's resources every second and gossip them (CPU, load, memory, disk, network,
   * uptime, power, capabilities). Off, members carry no resource record. @default true
   */
  resources?: boolean
  /** How often resources are sampled, in ms. @default SAMPLE_INTERVAL_MS (1,000) */
  sampleIntervalMs?: number
  /**
   * Run workloads: place the desired state's workloads, lease their slots and supervise their processes
   * (real child processes in cgroups; needs Linux). `dreammesh up` turns it on; an embedding tool that only
   * wants membership leaves it off. @default false
   */
  workloads?: boolean
  /** Lease timing for workloads. @default leaseConfig() */
  leaseConfig?: LeaseConfig
}

export interface StopOptions {
  /**
   * Reset every connection instead of closing it gracefully, as the kernel of a killed process would. Either
   * way, no leave is announced (that is `leave()`): peers find out through the closed connections and SWIM.
   * @default false
   */
  abortConnections?: boolean
}

type Phase = 'created' | 'starting' | 'started' | 'stopped'

/**
 * A dreammesh node: a libp2p 3 host (tcp, pnet, noise, yamux, identify, ping, gossipsub, mDNS) carrying the
 * unmodified `Membership` state machine through the same `MachineDriver` the simulator uses, on the real
 * clock.
 *
 * Made by `createDreamNode()`; single use: after `stop()` or `leave()`, make a new one on the same data dir
 * to restart.
 */
export { CONFIG_PRESETS, type ConfigPresetName }

export class DreamNode extends TypedEventEmitter<DreamNodeEvents> implements Startable {
  /** The node's identity, loaded from (or created in) the data dir. */
  readonly peerId: PeerId
  readonly config: MembershipConfig
  /** The cluster's public name: a fingerprint of its code, or `open`. */
  readonly clusterId: string
  /** Where the node's metrics live (`/metrics` serves it). */
  readonly registry: Registry
  private phase: Phase = 'created'
  private readonly scheduler = new RealScheduler()
  private readonly incarnations: IncarnationStore
  private readonly rtt = new RttTracker()
  private host: DreamHost | undefined
  private transport: Libp2pTransport | undefined
  private heard: HeardTracker | undefined
  private membership: Membership | undefined
  private driver: MachineDriver<MembershipCommand, MembershipEvent> | undefined
  private dialer: MemberDialer | undefined
  private nameGuard: NameGuard | undefined
  private reconnectTimer: ReturnType<typeof setInterval> | undefined
  /** mDNS peers not yet members, joined through again until they are. */
  private readonly joinRetry = new JoinRetry(id => { this.joinThrough(id) }, () => performance.now())
  private resourceChannel: ResourceChannel | undefined
  private clusterState: ClusterState | undefined
  private workloadsService: WorkloadsService | undefined
  private readonly metrics: NodeMetrics
  private readonly dialTimeoutMs: number
  private starting: Promise<void> | undefined

  /** Use `createDreamNode()`. */
  constructor (
    private readonly options: DreamNodeOptions,
    private readonly privateKey: Awaited<ReturnType<typeof loadOrCreateIdentity>>,
    private readonly admission: Admission
  ) {
    super()
    this.peerId = peerIdFromPrivateKey(privateKey)
    const config = options.config ?? 'home'
    if (typeof config === 'string' && !(config in CONFIG_PRESETS)) throw new NodeConfigError(`unknown config preset ${JSON.stringify(config)}; one of ${Object.keys(CONFIG_PRESETS).join(', ')}`)
    this.config = typeof config === 'string' ? presetConfig(config) : config
    this.dialTimeoutMs = options.dialTimeoutMs ?? MEMBER_DIAL_TIMEOUT_MS
    this.incarnations = new IncarnationStore(options.dataDir)
    this.clusterId = clusterIdOfAdmission(admission)
    this.registry = options.registry ?? new Registry()
    this.metrics = new NodeMetrics(this.registry, {
      members: () => this.members(),
      membershipCounters: () => ({ ...this.counters(), ...prefixed('transport_', this.transport?.stats) }),
      resourceStats: () => this.resourceChannel?.stats()
    })
  }

  /** The libp2p host, for what the node does not wrap (metrics, extra protocols). Set once started. */
  get libp2p (): DreamHost {
    if (this.host === undefined) throw new Error('the node is not started')
    return this.host
  }

  /** Whether peers need the cluster code to connect (false only with `insecureOpen`). */
  get isPrivate (): boolean {
    return this.admission.mode === 'private'
  }

  /** Where the node listens, with its `/p2p/` suffix: what another node's `bootstrap` takes. */
  getMultiaddrs (): Multiaddr[] {
    return this.host?.getMultiaddrs() ?? []
  }

  /** This member as the cluster sees it. */
  self (): MemberView {
    return this.machine().self()
  }

  /** Every other member this node remembers, in any state (dead and left ones until reaped). */
  members (): MemberView[] {
    return this.machine().members()
  }

  /** The workloads service, when the node runs workloads (`workloads: true`) and is started. */
  get workloads (): WorkloadsService | undefined {
    return this.phase === 'started' ? this.workloadsService : undefined
  }

  /**
   * The desired state (ADR 0011): workloads, lease voters and the deny list, replicated to every member and
   * persisted in the data dir. Edits resolve once fsynced. Available while the node is started.
   */
  get desiredState (): DesiredStateStore {
    if (this.clusterState === undefined || this.phase !== 'started') throw new Error('the node is not started')
    return this.clusterState.store
  }

  /**
   * Revokes a member (issue 5: a lost or stolen machine): adds it to the replicated deny list, so every node
   * hangs up on it and refuses it from then on, whatever secret it holds. Resolves once fsynced here, with
   * the revoked peer id.
   */
  async revoke (idOrName: string, reason = 'revoked'): Promise<string> {
    const r = this.resolveMember(idOrName)
    if (r.kind === 'ambiguous') throw new NodeConfigError(`${JSON.stringify(idOrName)} names ${r.candidates.length} members; use a peer id: ${r.candidates.map(m => m.id).join(', ')}`)
    let id = r.kind === 'found' ? r.member.id : idOrName
    if (r.kind === 'unknown') {
      try {
        id = peerIdFromString(idOrName).toString()
      } catch {
        throw new NodeConfigError(`no member is called ${JSON.stringify(idOrName)}, and it is not a peer id`)
      }
    }
    if (id === this.peerId.toString()) throw new NodeConfigError('a node cannot revoke itself; revoke it from another member')
    await this.desiredState.deny(id, reason)
    return id
  }

  /**
   * A member (self included) by peer id or by name, as the API and every CLI command resolve it: a peer id
   * wins; a name shared by several remembered members (a dead one and a live one, say) is `ambiguous`,
   * reported rather than guessed, so that nothing acts on the wrong machine.
   */
  resolveMember (idOrName: string): Resolution<MemberView> {
    return resolveNamed([this.self(), ...this.members()], idOrName, m => ({ id: m.id, name: m.meta.name }))
  }

  /** The member `resolveMember` finds, or undefined when the name is unknown or ambiguous. */
  member (idOrName: string): MemberView | undefined {
    const r = this.resolveMember(idOrName)
    return r.kind === 'found' ? r.member : undefined
  }

  /** How long ago a member was last heard from (any membership packet or frame), in ms; null if never. */
  sinceHeardMs (id: NodeId): number | null {
    return this.heard?.sinceHeardMs(id) ?? null
  }

  /**
   * Hangs up on a member declared dead once it has been silent for DEAD_HANGUP_SILENCE_MS (checked again
   * until then, while it stays dead): a lost machine's connection goes, a slow member's stays.
   */
  private hangUpWhenSilent (id: NodeId): void {
    const check = (): void => {
      if (this.phase !== 'started') return
      const member = this.membership?.members().find(m => m.id === id)
      if (member === undefined || member.state !== 'dead') return
      const silentMs = this.heard?.sinceHeardMs(id) ?? Infinity
      if (silentMs >= DEAD_HANGUP_SILENCE_MS) this.hangUp(id)
      else this.scheduler.at(this.scheduler.nowMs() + DEAD_HANGUP_SILENCE_MS - silentMs, check)
    }
    check()
  }

  private hangUp (id: NodeId): void {
    try {
      this.host?.hangUp(peerIdFromString(id)).catch(() => {})
    } catch {
      // Not a peer id: nothing to hang up.
    }
  }

  /** The smoothed round-trip time to a member, from membership's direct probes (see RttTracker), in ms. */
  rttMs (id: NodeId): number | null {
    return this.rtt.rttMs(id)
  }

  /** What membership counted: drops by reason, probes, suspicions, refutations, syncs. */
  counters (): Record<string, number> {
    return this.machine().counters()
  }

  /** A member's newest resource record, or undefined before its first (or with `resources: false`). */
  resourcesOf (member: MemberView): ResourceRecord | undefined {
    return this.resourceChannel?.recordOf(member)
  }

  /** Replaces parts of this member's metadata (tags, the state record); peers learn it by gossip. */
  updateMeta (meta: Partial<Pick<MemberMeta, 'tags' | 'state'>>): void {
    if (this.phase !== 'started') throw new Error('the node is not started')
    this.driver?.command({ type: 'update-meta', meta })
  }

  async start (): Promise<void> {
    if (this.phase !== 'created') throw new Error(`a ${this.phase} node cannot start; create a new one on the same data dir`)
    this.phase = 'starting'
    this.starting = this.run()
    await this.starting
  }

  private async run (): Promise<void> {
    try {
      const incarnation = await this.incarnations.begin()
      // Before the host: its connection gater consults the deny list from the first connection on.
      const clusterState = this.clusterState = await ClusterState.open(this.options.dataDir, this.peerId.toString())
      const host = this.host = await createHost({
        privateKey: this.privateKey,
        listen: this.options.listen ?? DEFAULT_LISTEN,
        transports: this.options.transports ?? [tcp()],
        admission: this.admission,
        mdns: this.options.mdns ?? true,
        registry: this.registry,
        deny: clusterState.denyList(at => { this.metrics.drop('gate', `revoked-${at}`) }),
        clusterSize: () => this.clusterSize()
      })
      await clusterState.start(host)
      this.transport = await createLibp2pTransport(host, {
        maxPacketBytes: this.config.maxPacketBytes,
        maxFrameBytes: this.config.maxFrameBytes,
        dialTimeoutMs: this.dialTimeoutMs
      })
      this.heard = new HeardTracker(this.transport, () => this.scheduler.nowMs())
      const selfId = this.peerId.toString()
      const name = this.options.name ?? hostname()
      this.dialer = new MemberDialer(host, selfId, this.dialTimeoutMs)
      this.nameGuard = new NameGuard(selfId, name, this.scheduler.nowMs())
      this.membership = new Membership({
        id: selfId,
        meta: {
          name,
          role: this.options.role ?? 'server',
          addrs: advertisedAddrs(host.getMultiaddrs()),
          tags: this.options.tags ?? [],
          state: new Uint8Array(0)
        },
        rng: new Xoshiro128(randomBytes(4).readUInt32LE(0)),
        config: this.config,
        incarnation,
        nowMs: this.scheduler.nowMs()
      })
      this.driver = new MachineDriver(this.membership, this.heard, this.scheduler, {
        onEvent: event => { this.onMembershipEvent(event) },
        // A closed connection is a hint, not a verdict: membership probes the peer now.
        closedCommand: peer => ({ type: 'connection-closed', peer })
      })
      this.driver.start()
      this.phase = 'started'
      host.addEventListener('peer:discovery', this.onDiscovery)
      this.reconnectTimer = setInterval(() => {
        this.dialer?.reconnect(this.members())
        this.joinRetry.tick(id => this.isLiveMember(id))
      }, RECONNECT_INTERVAL_MS)
      this.reconnectTimer.unref()
      if (this.options.resources !== false) {
        this.resourceChannel = new ResourceChannel({
          host,
          selfId,
          dataDir: this.options.dataDir,
          userTags: this.options.tags ?? [],
          memberOf: id => this.membership?.members().find(m => m.id === id),
          updateState: state => { if (this.phase === 'started') this.driver?.command({ type: 'update-meta', meta: { state } }) },
          onDrop: reason => { this.metrics.drop('gossip', reason) },
          onChanged: origin => { this.resourcesChanged(origin) },
          clusterSize: () => this.clusterSize(),
          ...(this.options.sampleIntervalMs === undefined ? {} : { sampleIntervalMs: this.options.sampleIntervalMs })
        })
        await this.resourceChannel.start()
      }
      if (this.options.workloads === true) {
        const service = this.workloadsService = new WorkloadsService({
          node: {
            selfId,
            host,
            dataDir: this.options.dataDir,
            store: clusterState.store,
            self: () => this.self(),
            members: () => this.members(),
            resourcesOf: m => this.resourcesOf(m)
          },
          ...(this.options.leaseConfig === undefined ? {} : { leaseConfig: this.options.leaseConfig }),
          warn: message => { this.safeDispatchEvent('node:warning', { detail: { message } }) },
          onAutoscaled: detail => { this.safeDispatchEvent('workload:autoscaled', { detail }) },
          onDrop: reason => { this.metrics.drop('instances', reason) }
        })
        try {
          await service.start()
        } catch (err) {
          // A host that cannot supervise (no cgroups, not allowed to) still joins the cluster; it runs nothing.
          this.workloadsService = undefined
          await service.stop().catch(() => {})
          this.safeDispatchEvent('node:warning', { detail: { message: `workloads are off on this node: ${(err as Error).message}` } })
        }
      }
      const seeds = await this.bootstrapSeeds()
      if (seeds.length > 0 && this.phase === 'started') this.driver.command({ type: 'join', seeds })
    } catch (err) {
      this.starting = undefined
      await this.stop({ abortConnections: true }).catch(() => {})
      throw err
    }
  }

  /**
   * Leaves the cluster gracefully: announces the leave, keeps running for a few gossip rounds so the news
   * spreads (peers mark this member `left`, not `dead`), then stops.
   */
  async leave (): Promise<void> {
    if (this.phase !== 'started') return await this.stop()
    this.driver?.command({ type: 'leave' })
    const graceMs = Math.max(LEAVE_GRACE_MIN_MS, LEAVE_GRACE_GOSSIP_ROUNDS * this.config.gossipIntervalMs)
    await new Promise(resolve => setTimeout(resolve, graceMs))
    await this.stop()
  }

  /** Stops at once without announcing a leave; peers find out through closed connections and SWIM. */
  async stop (options: StopOptions = {}): Promise<void> {
    if (this.phase === 'stopped') return
    // A stop during start waits for the start to finish, so nothing it creates is left running.
    const starting = this.starting
    this.starting = undefined
    if (starting !== undefined) await starting.catch(() => {})
    if ((this.phase as Phase) === 'stopped') return
    this.phase = 'stopped'
    clearInterval(this.reconnectTimer)
    await this.workloadsService?.stop().catch(() => {})
    await this.resourceChannel?.stop()
    await this.clusterState?.stop().catch(() => {})
    this.dialer?.stop()
    this.driver?.stop()
    this.scheduler.cancelAll()
    await this.transport?.close()
    const host = this.host
    if (host !== undefined) {
      host.removeEventListener('peer:discovery', this.onDiscovery)
      if (options.abortConnections === true) for (const c of host.getConnections()) c.abort(new Error('node stopped'))
      await host.stop()
    }
    await this.incarnations.flush()
    this.safeDispatchEvent('node:stopped', { detail: {} })
  }

  private machine (): Membership {
    if (this.membership === undefined) throw new Error('the node is not started')
    return this.membership
  }

  /** mDNS found a peer of this cluster (same service name): dial it, and join through it if alone. */
  private readonly onDiscovery = (event: CustomEvent<{ id: PeerId, multiaddrs: Multiaddr[] }>): void => {
    const id = event.detail.id.toString()
    if (this.phase !== 'started' || id === this.peerId.toString()) return
    const host = this.libp2p
    host.peerStore.merge(event.detail.id, { multiaddrs: event.detail.multiaddrs })
      .then(() => {
        if (this.isLiveMember(id)) {
          this.dialer?.meet(id)
          return
        }
        // Joining through it is needed when we know no one, and it is how two groups that formed at once find
        // each other: each member of one hears of the other's members by mDNS. Only joining through the first
        // peers found, and leaving the rest to JoinRetry, kept such groups apart for 2 to 7 s at N=6 (ADR 0019).
        this.joinThrough(id)
        this.joinRetry.discovered(id)
      }, () => {})
  }

  /** Members of the cluster, this one included. */
  private clusterSize (): number {
    return 1 + (this.membership?.liveIds().length ?? 0)
  }

  private isLiveMember (id: NodeId): boolean {
    return this.members().some(m => m.id === id && m.state !== 'dead' && m.state !== 'left')
  }

  private joinThrough (id: NodeId): void {
    this.dialer?.dial(id)
    this.driver?.command({ type: 'join', seeds: [id] })
  }

  /** Bootstrap peers as member ids, with their addresses in the peer store and a dial under way. */
  private async bootstrapSeeds (): Promise<NodeId[]> {
    const host = this.libp2p
    const seeds: NodeId[] = []
    await Promise.all((this.options.bootstrap ?? []).map(async text => {
      const addr = multiaddr(text)
      const id = peerIdOf(addr)
      try {
        if (id === undefined) {
          // No /p2p/ part: the only way to learn who is there is to dial.
          const connection = await host.dial(addr, { signal: AbortSignal.timeout(this.dialTimeoutMs) })
          seeds.push(connection.remotePeer.toString())
          return
        }
        if (id === this.peerId.toString()) return
        await host.peerStore.merge(peerIdFromString(id), { multiaddrs: [addr.decapsulateCode(P2P_CODE)] })
        seeds.push(id)
        // Not awaited: an unreachable seed must not delay start; membership retries its join by frames.
        this.dialer?.dial(id)
      } catch {
        // Unreachable now: membership's join retry (by frame, which dials) covers a peer id we know.
      }
    }))
    return seeds
  }

  private onMembershipEvent (event: MembershipEvent): void {
    switch (event.type) {
      case 'refuted':
        this.incarnations.used(event.incarnation)
        this.workloadsService?.refuted()
        return
      case 'rtt':
        this.rtt.sample(event.id, event.ms)
        return
      case 'joined':
        this.workloadsService?.memberGone(event.member.id)
        this.workloadsService?.memberBack(event.member, true)
        this.resourceChannel?.forget(event.member.id)
        this.dialer?.learn(event.member)
        this.checkName(event.member)
        break
      case 'alive':
        this.workloadsService?.memberBack(event.member, false)
        this.dialer?.learn(event.member)
        this.checkName(event.member)
        break
      case 'updated':
        this.workloadsService?.memberBack(event.member, false)
        this.dialer?.learn(event.member)
        this.checkName(event.member)
        if (event.member.id !== this.peerId.toString()) this.resourcesChanged(event.member.id)
        break
      case 'suspect':
        break
      case 'dead':
        this.hangUpWhenSilent(event.member.id)
        this.workloadsService?.memberGone(event.member.id)
        this.resourceChannel?.forget(event.member.id)
        break
      case 'left':
        this.workloadsService?.memberGone(event.member.id)
        this.resourceChannel?.forget(event.member.id)
        break
      case 'reaped':
        this.heard?.forget(event.id)
        this.rtt.forget(event.id)
        this.workloadsService?.memberGone(event.id)
        this.dialer?.forget(event.id)
        this.resourceChannel?.forget(event.id)
        return
      case 'dropped':
        this.metrics.drop('membership', event.reason)
        return
      default:
        return
    }
    this.workloadsService?.membersChanged()
    if (event.member.id === this.peerId.toString()) return
    const from = 'from' in event ? event.from : undefined
    this.safeDispatchEvent(MEMBER_EVENT_NAMES[event.type], { detail: from === undefined ? { member: event.member } : { member: event.member, from } })
  }

  /** Tells listeners a member's resource record may have changed (`resources:changed`). */
  private resourcesChanged (origin: NodeId): void {
    const member = origin === this.peerId.toString() ? this.membership?.self() : this.membership?.members().find(m => m.id === origin)
    if (member === undefined) return
    this.workloadsService?.membersChanged()
    this.safeDispatchEvent('resources:changed', { detail: { member } })
  }

  /** A newcomer whose name a live member holds stops at once and says why (`node:name-taken`). */
  private checkName (member: MemberView): void {
    const taken = this.nameGuard?.check(member, this.scheduler.nowMs())
    if (taken === undefined || this.phase !== 'started') return
    this.nameGuard = undefined
    this.safeDispatchEvent('node:name-taken', { detail: { error: taken } })
    this.stop().catch(() => {})
  }
}

/** Transport stats as counters named `<prefix><stat>`. */
function prefixed (prefix: string, stats: object | undefined): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [k, v] of Object.entries(stats ?? {})) if (typeof v === 'number') out[prefix + k] = v
  return out
}

/**
 * Who this node admits: `insecureOpen`, the given code, or the code stored in the data dir. A given code
 * that differs from the stored one is refused: one data dir belongs to one cluster.
 */
async function resolveAdmission (options: DreamNodeOptions): Promise<Admission> {
  if (options.insecureOpen === true) {
    if (options.cluster !== undefined) throw new NodeConfigError('--insecure-open and --cluster contradict each other: pick one')
    return { mode: 'open' }
  }
  const stored = await loadClusterCode(options.dataDir)
  if (options.cluster !== undefined) {
    const given = parseClusterCode(options.cluster)
    if (stored !== undefined && stored.text !== given.text) {
      throw new NodeConfigError(`the data dir ${options.dataDir} already belongs to another cluster (its code differs from --cluster): use a fresh --data-dir to join this one`)
    }
    return { mode: 'private', code: given }
  }
  if (stored === undefined) {
    throw new NodeConfigError(`the data dir ${options.dataDir} has no cluster secret: run \`dreammesh init\` on the first machine, then \`dreammesh up --cluster <code>\` on the others`)
  }
  return { mode: 'private', code: stored }
}

/**
 * Opens the data dir, loads (or creates) the node's identity, settles who it admits, and returns the node,
 * not yet started. Throws a `DataDirError` when the data dir cannot be created or written, a
 * `ClusterCodeError` for a malformed code, and a `NodeConfigError` for options that cannot work together.
 * A code given here is not stored; the CLI's `up --cluster` stores it (see `saveClusterCode`).
 */
export async function createDreamNode (options: DreamNodeOptions): Promise<DreamNode> {
  await openDataDir(options.dataDir)
  const admission = await resolveAdmission(options)
  const key = await loadOrCreateIdentity(options.dataDir)
  return new DreamNode(options, key, admission)
}
