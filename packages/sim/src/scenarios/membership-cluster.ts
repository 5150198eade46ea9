import {
  Membership,
  MachineDriver,
  Xoshiro128,
  type MembershipCommand,
  type MembershipConfig,
  type MembershipEvent,
  type NodeId,
  type Rng
} from '@dreammesh/protocols'
import { EventQueue } from '../clock/event-queue.js'
import { NodeClock } from '../clock/node-clock.js'
import { SimScheduler } from '../clock/sim-scheduler.js'
import { NodeFaults } from '../faults/node-faults.js'
import type { SimNetworkOptions } from '../network/options.js'
import { SimNetwork } from '../network/sim-network.js'
import type { NodeGroup, Partition } from '../network/partitions.js'
import { simNodeId } from './node-ids.js'
import { deafToAccusations } from './variants.js'

export interface ClusterOptions {
  nodes: number
  seed: number
  config: MembershipConfig
  network: SimNetworkOptions
  /** Each node's clock runs at a rate drawn uniformly within ±driftPpm. @default 100 */
  driftPpm?: number
  /** How many of the first nodes serve as seeds for everyone's join. @default 3 */
  seedCount?: number
  /** The share of nodes with the `client` role (the rest are servers). @default 0.2 */
  clientShare?: number
  /** A deliberately broken variant, to show that the invariant checks fire. */
  variant?: 'no-refutation'
}

/** One simulated member: its incarnation's machine and driver, and its clock. */
export interface SimMember {
  readonly index: number
  readonly id: NodeId
  readonly clock: NodeClock
  readonly scheduler: SimScheduler
  machine: Membership | undefined
  driver: MachineDriver<MembershipCommand, MembershipEvent> | undefined
  /** The incarnation the next start uses: the real node persists it across restarts. */
  nextIncarnation: number
  started: boolean
}

export type ClusterListener = (observer: number, event: MembershipEvent, globalMs: number) => void

/** The size of the simulated resource record each member gossips (the real node's is about this). */
const STATE_RECORD_BYTES = 96

/**
 * N unmodified `Membership` machines, each behind a `MachineDriver`, a `SimTransport` and a drifting
 * `SimScheduler`: the exact wiring the real node uses, with the simulated network in place of libp2p.
 * One seed makes the whole run reproducible.
 */
export class MembershipCluster {
  readonly queue = new EventQueue()
  readonly network: SimNetwork
  readonly faults: NodeFaults
  readonly members: SimMember[] = []
  readonly rng: Rng
  private readonly listeners: ClusterListener[] = []
  private readonly partitions: Partition[] = []

  constructor (readonly options: ClusterOptions) {
    const root = new Xoshiro128(options.seed)
    this.rng = root.fork('scenario')
    this.network = new SimNetwork(this.queue, root.fork('network'), options.network)
    this.faults = new NodeFaults(this.network)
    const clocks = root.fork('clocks')
    const drift = (options.driftPpm ?? 100) / 1e6
    for (let i = 0; i < options.nodes; i++) this.addMember(clocks, drift)
  }

  get size (): number { return this.members.length }

  get nowMs (): number { return this.queue.nowMs }

  onEvent (listener: ClusterListener): void {
    this.listeners.push(listener)
  }

  /** Adds a member that is not started yet (for joins after the cold start); returns its index. */
  addMember (clocks: Rng = this.rng.fork(`clock-${this.members.length}`), drift = (this.options.driftPpm ?? 100) / 1e6): number {
    const index = this.network.addNode(simNodeId(this.members.length))
    const clock = new NodeClock(this.queue, { offsetMs: clocks.float() * 1e6, rate: 1 + (2 * clocks.float() - 1) * drift })
    const runtime = this.network.runtime(index)
    runtime.kill() // not running until started
    this.members.push({
      index,
      id: this.network.idOf(index),
      clock,
      scheduler: new SimScheduler(this.queue, clock, runtime),
      machine: undefined,
      driver: undefined,
      nextIncarnation: 0,
      started: false
    })
    return index
  }

  /** Seeds for joining: the first `seedCount` members other than `index`. */
  seedsFor (index: number): NodeId[] {
    const count = this.options.seedCount ?? 3
    const seeds: NodeId[] = []
    for (let i = 0; i < this.members.length && seeds.length < count; i++) if (i !== index) seeds.push(this.members[i].id)
    return seeds
  }

  /** Starts (or restarts) member `index` now and has it join through the seeds. */
  start (index: number, seeds: NodeId[] = this.seedsFor(index)): void {
    const m = this.members[index]
    // Restarting a running member is a kill -9 and a start, so it too comes back at a higher incarnation.
    if (m.machine !== undefined) this.crash(index)
    const transport = this.faults.restart(index)
    const machineRng = this.rng.fork(`member-${index}-${m.nextIncarnation}`)
    const machine = new Membership({
      id: m.id,
      meta: {
        name: `node-${index}`,
        role: index % Math.round(1 / (this.options.clientShare ?? 0.2)) === 0 ? 'client' : 'server',
        addrs: [`/ip4/10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}/tcp/4001`],
        tags: [],
        state: new Uint8Array(STATE_RECORD_BYTES)
      },
      rng: machineRng,
      config: this.options.config,
      incarnation: m.nextIncarnation,
      nowMs: m.clock.nowMs()
    })
    const stateMachine = this.options.variant === 'no-refutation' ? deafToAccusations(machine, m.id) : machine
    const driver = new MachineDriver<MembershipCommand, MembershipEvent>(stateMachine, transport, m.scheduler, {
      onEvent: (event) => {
        for (const l of this.listeners) l(index, event, this.queue.nowMs)
      },
      closedCommand: (peer) => ({ type: 'connection-closed', peer })
    })
    m.machine = machine
    m.driver = driver
    m.started = true
    driver.start()
    driver.command({ type: 'join', seeds })
  }

  /** kill -9 of the member's process (peers see its connections close), or loss of the whole machine. */
  crash (index: number, machineLoss = false): void {
    const m = this.members[index]
    // A restart must come back above every incarnation it used, as the real node persists it.
    if (m.machine !== undefined) m.nextIncarnation = Math.max(m.nextIncarnation, m.machine.incarnation + 1)
    m.driver?.stop()
    m.driver = undefined
    m.machine = undefined
    this.faults.crash(index, { machineLoss })
  }

  isRunning (index: number): boolean {
    return this.members[index].machine !== undefined && this.faults.isAlive(index)
  }

  pause (index: number, durationMs: number): void {
    this.faults.pause(index, durationMs)
  }

  leave (index: number): void {
    this.members[index].driver?.command({ type: 'leave' })
  }

  partition (kind: 'split' | 'isolate' | 'asymmetric', a: NodeGroup, b?: NodeGroup): Partition {
    const p = kind === 'split' ? this.network.split(a, b) : kind === 'isolate' ? this.network.isolate(a) : this.network.asymmetric(a, b)
    this.partitions.push(p)
    return p
  }

  healAll (): void {
    this.network.healAll()
  }

  runUntil (globalMs: number): void {
    this.queue.runUntil(globalMs)
  }

  runFor (ms: number): void {
    this.queue.runUntil(this.queue.nowMs + ms)
  }

  /** The indexes of running members. */
  running (): number[] {
    const out: number[] = []
    for (let i = 0; i < this.members.length; i++) if (this.isRunning(i)) out.push(i)
    return out
  }

  /**
   * True when every running member sees exactly the other running members as live (alive or suspect):
   * the convergence the liveness phase requires.
   */
  viewsMatchTruth (): boolean {
    const running = this.running()
    const truth = new Set(running.map((i) => this.members[i].id))
    for (const i of running) {
      const live = (this.members[i].machine as Membership).liveIds()
      if (live.length !== truth.size - 1) return false
      for (const id of live) if (!truth.has(id)) return false
    }
    return true
  }
}
