import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { identify } from '@libp2p/identify'
import { TypedEventEmitter, type PeerId, type Startable } from '@libp2p/interface'
import { noise } from '@libp2p/noise'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p, type Libp2pOptions } from 'libp2p'
import {
  lanConfig, localTestConfig, MachineDriver, Membership, wanConfig, Xoshiro128,
  type MemberRole, type MembershipCommand, type MembershipConfig, type MembershipEvent, type MemberView, type NodeId
} from '@dreammesh/protocols'
import { RealScheduler } from '../clock/real-scheduler.js'
import { openDataDir } from '../identity/data-dir.js'
import { loadOrCreateIdentity } from '../identity/identity.js'
import { IncarnationStore } from '../identity/incarnation.js'
import { createLibp2pTransport, type Libp2pTransport } from '../transport/libp2p-transport.js'
import { advertisedAddrs, P2P_CODE, peerIdOf } from './addrs.js'
import { DEFAULT_LISTEN, MEMBER_DIAL_TIMEOUT_MS, MAX_CONCURRENT_MEMBER_DIALS } from './constants.js'
import { MEMBER_EVENT_NAMES, type DreamNodeEvents } from './events.js'

/** The membership config presets by name (see @dreammesh/protocols' config.ts for what each is for). */
export const CONFIG_PRESETS = { lan: lanConfig, wan: wanConfig, 'local-test': localTestConfig } as const
export type ConfigPresetName = keyof typeof CONFIG_PRESETS

export interface DreamNodeOptions {
  /**
   * Where the node keeps what must survive a restart: its Ed25519 identity (`identity.key`) and its
   * membership incarnation (`incarnation.json`), both mode 0600. Created (mode 0700) if missing; a dir that
   * cannot be written fails `createDreamNode()` with a `DataDirError`.
   */
  dataDir: string
  /** The member name others see. @default os.hostname() */
  name?: string
  /** Equal standing in every protocol; what it is for is placement's business. @default 'server' */
  role?: MemberRole
  /** Capability tags gossiped with the member ("gpu", "display:0", user tags). @default [] */
  tags?: string[]
  /** A membership preset name, or a whole config (start from a preset and change fields). @default 'lan' */
  config?: ConfigPresetName | MembershipConfig
  /** Multiaddrs to listen on. @default DEFAULT_LISTEN (`/ip4/0.0.0.0/tcp/0`) */
  listen?: string[]
  /**
   * The libp2p transports. Tests pass `[memory()]` from @libp2p/memory with `/memory/...` listen addresses,
   * to run real nodes in one process without a network. @default [tcp()]
   */
  transports?: Libp2pOptions['transports']
  /**
   * Peers to join through, as multiaddrs ending in `/p2p/<peer id>` (without it, the address is dialed
   * first to learn who answers). A node with none waits to be joined. If none can be reached at start, the
   * join is retried every `joinRetryIntervalMs` while no member is known.
   */
  bootstrap?: string[]
  /** How long one dial may take (bootstrap peers, learned members, membership's frames), in ms. @default MEMBER_DIAL_TIMEOUT_MS (5,000) */
  dialTimeoutMs?: number
}

export interface StopOptions {
  /**
   * Reset every connection instead of closing it gracefully, as the kernel of a killed process would. Either
   * way, no leave is announced: peers find out through the closed connections and SWIM.
   * @default false
   */
  abortConnections?: boolean
}

type Phase = 'created' | 'starting' | 'started' | 'stopped'

/**
 * A dreammesh node: a libp2p 3 host (noise, yamux, identify, ping) carrying the unmodified `Membership`
 * state machine through the same `MachineDriver` the simulator uses, on the real clock.
 *
 * Made by `createDreamNode()`; single use: after `stop()`, make a new one on the same data dir to restart.
 */
export class DreamNode extends TypedEventEmitter<DreamNodeEvents> implements Startable {
  /** The node's identity, loaded from (or created in) the data dir. */
  readonly peerId: PeerId
  readonly config: MembershipConfig
  private phase: Phase = 'created'
  private readonly scheduler = new RealScheduler()
  private readonly incarnations: IncarnationStore
  private readonly dialing = new Set<NodeId>()
  /** Members waiting for a dial slot, at most one entry each. */
  private readonly dialQueue = new Set<NodeId>()
  private libp2pNode: Libp2p | undefined
  private transport: Libp2pTransport | undefined
  private membership: Membership | undefined
  private driver: MachineDriver<MembershipCommand, MembershipEvent> | undefined
  private readonly dialTimeoutMs: number
  private starting: Promise<void> | undefined

  /** Use `createDreamNode()`. */
  constructor (private readonly options: DreamNodeOptions, private readonly privateKey: Awaited<ReturnType<typeof loadOrCreateIdentity>>) {
    super()
    this.peerId = peerIdFromPrivateKey(privateKey)
    const config = options.config ?? 'lan'
    this.config = typeof config === 'string' ? presetConfig(config) : config
    this.dialTimeoutMs = options.dialTimeoutMs ?? MEMBER_DIAL_TIMEOUT_MS
    this.incarnations = new IncarnationStore(options.dataDir)
  }

  /** The libp2p host, for what the node does not wrap (metrics, extra protocols). Set once started. */
  get libp2p (): Libp2p {
    if (this.libp2pNode === undefined) throw new Error('the node is not started')
    return this.libp2pNode
  }

  /** Where the node listens, with its `/p2p/` suffix: what another node's `bootstrap` takes. */
  getMultiaddrs (): Multiaddr[] {
    return this.libp2pNode?.getMultiaddrs() ?? []
  }

  /** This member as the cluster sees it. */
  self (): MemberView {
    return this.machine().self()
  }

  /** Every other member this node remembers, in any state (dead and left ones until reaped). */
  members (): MemberView[] {
    return this.machine().members()
  }

  /** What membership counted: drops by reason, probes, suspicions, refutations, syncs. */
  counters (): Record<string, number> {
    return this.machine().counters()
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
      const node = this.libp2pNode = await createLibp2p({
        privateKey: this.privateKey,
        addresses: { listen: this.options.listen ?? DEFAULT_LISTEN },
        transports: this.options.transports ?? [tcp()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
        services: { identify: identify(), ping: ping() }
      })
      this.transport = await createLibp2pTransport(node, {
        maxPacketBytes: this.config.maxPacketBytes,
        maxFrameBytes: this.config.maxFrameBytes,
        dialTimeoutMs: this.dialTimeoutMs
      })
      const seed = randomBytes(4).readUInt32LE(0)
      this.membership = new Membership({
        id: this.peerId.toString(),
        meta: {
          name: this.options.name ?? hostname(),
          role: this.options.role ?? 'server',
          addrs: advertisedAddrs(node.getMultiaddrs()),
          tags: this.options.tags ?? [],
          state: new Uint8Array(0)
        },
        rng: new Xoshiro128(seed),
        config: this.config,
        incarnation,
        nowMs: this.scheduler.nowMs()
      })
      this.driver = new MachineDriver(this.membership, this.transport, this.scheduler, {
        onEvent: event => { this.onMembershipEvent(event) },
        // A closed connection is a hint, not a verdict: membership probes the peer now (issue 4).
        closedCommand: peer => ({ type: 'connection-closed', peer })
      })
      this.driver.start()
      this.phase = 'started'
      const seeds = await this.bootstrapSeeds()
      if (seeds.length > 0 && this.phase === 'started') this.driver.command({ type: 'join', seeds })
    } catch (err) {
      this.starting = undefined
      await this.stop({ abortConnections: true }).catch(() => {})
      throw err
    }
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
    this.driver?.stop()
    this.scheduler.cancelAll()
    await this.transport?.close()
    const node = this.libp2pNode
    if (node !== undefined) {
      if (options.abortConnections === true) for (const c of node.getConnections()) c.abort(new Error('node stopped'))
      await node.stop()
    }
    await this.incarnations.flush()
  }

  private machine (): Membership {
    if (this.membership === undefined) throw new Error('the node is not started')
    return this.membership
  }

  /** Bootstrap peers as member ids, with their addresses in the peer store and a dial under way. */
  private async bootstrapSeeds (): Promise<NodeId[]> {
    const node = this.libp2p
    const seeds: NodeId[] = []
    await Promise.all((this.options.bootstrap ?? []).map(async text => {
      const addr = multiaddr(text)
      const id = peerIdOf(addr)
      try {
        if (id === undefined) {
          // No /p2p/ part: the only way to learn who is there is to dial.
          const connection = await node.dial(addr, { signal: AbortSignal.timeout(this.dialTimeoutMs) })
          seeds.push(connection.remotePeer.toString())
          return
        }
        if (id === this.peerId.toString()) return
        await node.peerStore.merge(peerIdFromString(id), { multiaddrs: [addr.decapsulateCode(P2P_CODE)] })
        seeds.push(id)
        // Not awaited: an unreachable seed must not delay start; membership retries its join by frames.
        this.dialMember(id)
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
        return
      case 'joined':
      case 'alive':
      case 'updated':
        this.learnAddrs(event.member)
        break
      case 'suspect':
      case 'dead':
      case 'left':
        break
      default:
        return
    }
    if (event.member.id === this.peerId.toString()) return
    const from = 'from' in event ? event.from : undefined
    this.safeDispatchEvent(MEMBER_EVENT_NAMES[event.type], { detail: from === undefined ? { member: event.member } : { member: event.member, from } })
  }

  /**
   * libp2p 3 does not dial the peers it hears of, and a probe never dials (a packet with no connection is
   * lost, so SWIM's timeouts decide). So the node dials every live member it learns of, from the addresses
   * in its metadata: the mesh stays connected and probes have a path.
   */
  private learnAddrs (member: MemberView): void {
    if (member.id === this.peerId.toString() || member.meta.addrs.length === 0) return
    const node = this.libp2pNode
    if (node === undefined || this.phase !== 'started') return
    let peer: PeerId
    let addrs: Multiaddr[]
    try {
      peer = peerIdFromString(member.id)
      addrs = member.meta.addrs.map(a => multiaddr(a))
    } catch {
      return
    }
    node.peerStore.merge(peer, { multiaddrs: addrs }).then(() => { this.dialMember(member.id) }, () => {})
  }

  /** Dials `id` unless connected or already dialing; past MAX_CONCURRENT_MEMBER_DIALS it waits its turn. */
  private dialMember (id: NodeId): void {
    const node = this.libp2pNode
    if (node === undefined || this.phase !== 'started' || this.dialing.has(id)) return
    if (this.dialing.size >= MAX_CONCURRENT_MEMBER_DIALS) {
      this.dialQueue.add(id)
      return
    }
    const peer = peerIdFromString(id)
    if (node.getConnections(peer).some(c => c.status === 'open')) return
    this.dialing.add(id)
    node.dial(peer, { signal: AbortSignal.timeout(this.dialTimeoutMs) })
      .catch(() => { /* unreachable now; SWIM judges, and the next event about it dials again */ })
      .finally(() => {
        this.dialing.delete(id)
        const next = this.dialQueue.values().next()
        if (next.done !== true) {
          this.dialQueue.delete(next.value)
          this.dialMember(next.value)
        }
      })
  }
}

function presetConfig (name: ConfigPresetName): MembershipConfig {
  const preset = CONFIG_PRESETS[name]
  if (preset === undefined) throw new Error(`unknown config preset ${JSON.stringify(name)}; one of ${Object.keys(CONFIG_PRESETS).join(', ')}`)
  return preset()
}

/**
 * Opens the data dir, loads (or creates) the node's identity, and returns the node, not yet started.
 * Throws a `DataDirError` when the data dir cannot be created or written.
 */
export async function createDreamNode (options: DreamNodeOptions): Promise<DreamNode> {
  await openDataDir(options.dataDir)
  const key = await loadOrCreateIdentity(options.dataDir)
  return new DreamNode(options, key)
}
