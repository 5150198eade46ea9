import {
  Xoshiro128,
  type Assignment, type GrantRecord, type LeaseConfig, type LeaseEvent, type MemberRole, type MembershipConfig, type NodeId, type PlacementInput,
  type Resources, type Rng, type WorkloadSpec
} from '@dreammesh/protocols'
import { EventQueue } from '../clock/event-queue.js'
import { NodeClock } from '../clock/node-clock.js'
import { SimScheduler } from '../clock/sim-scheduler.js'
import { NodeFaults } from '../faults/node-faults.js'
import type { SimNetworkOptions } from '../network/options.js'
import { SimNetwork } from '../network/sim-network.js'
import { simNodeId } from './node-ids.js'
import { AgentLife } from './placement-host.js'
import { SafetyChecker } from './placement-invariant.js'
import { PlacementCuts } from './placement-cuts.js'
import { MUX_HEADER_BYTES } from './placement-mux.js'
import { ProcessTable, type SimProcess } from './placement-processes.js'

/**
 * The world of a placement simulation: simulated machines, each running the real node's membership, lease
 * and workload-agent machines unmodified (placement-host.ts is the glue the real node's drivers are), on one
 * simulated network, with the process table as the truth of what runs and the safety checker reading it.
 * Machines crash as a process (kill -9 of the agent: its children die by the watchdog) or as a whole machine
 * (power: its children die with it, its clock starts over), pause, and are cut off by partitions.
 */

/** A watchdog kills a dead agent's children within this long, in true ms (ADR 0012: parent-death signal, pipe EOF). */
export const WATCHDOG_MAX_MS = 50
/** Membership's packets are this large at most; the channel tag comes on top. */
const MEMBERSHIP_PACKET_BYTES = 1_400

export interface PlacementWorldOptions {
  seed: number
  servers: number
  clients: number
  specs: readonly WorkloadSpec[]
  capacityOf: (index: number, role: MemberRole) => Resources
  tagsOf?: (index: number) => string[]
  network: SimNetworkOptions
  /** Each machine's clock rate (local ms per true ms). */
  clockRate: (index: number, rng: Rng) => number
  /** What every node's LeaseMachine runs with. */
  leaseConfig: LeaseConfig
  membershipConfig: MembershipConfig
  /** Host glue deliberately broken: start a copy on a dead verdict, without a lease. */
  startOnDead?: boolean
  /** Measure the CPU each reconcile costs and keep some of their inputs to time `place()` alone. */
  measureCpu?: boolean
  /** Keep a timeline of what happened, for a replayed seed. */
  trace?: boolean
}

/** One simulated machine: what survives its agent's crashes (disk, clock unless power was lost). */
export interface SimMachine {
  readonly index: number
  readonly id: NodeId
  readonly name: string
  readonly role: MemberRole
  readonly tags: string[]
  readonly capacity: Resources
  /** Its crystal's rate, kept across reboots. */
  readonly rate: number
  clock: NodeClock
  scheduler: SimScheduler
  /** The lease grants its agent fsynced (its disk). */
  readonly grants: Map<string, GrantRecord>
  /** The ballots its agent fsynced as a holder (its disk). */
  readonly ballots: Map<string, number>
  /** The membership incarnation its next start uses (the real node persists it). */
  nextIncarnation: number
  /** The workload specs its copy of the desired state holds (it syncs within ms of an edit elsewhere). */
  specs: readonly WorkloadSpec[]
  /** The running agent, if any. */
  agent: AgentLife | undefined
  /** Power was lost: the next boot starts a new clock (CLOCK_BOOTTIME starts over). */
  rebooting: boolean
}

/** What the simulation counted. */
export interface PlacementCounters {
  /** `acquired` events. */
  acquisitions: number
  /** Processes started under a lease. */
  starts: number
  /** Starts on another node than the slot's previous start: failovers and moves. */
  failovers: number
  stops: number
  kills: number
  reconciles: number
  /** Acquires the agent asked for before its lease host had started: they wait for it, as in the real node. */
  acquiresBeforeLeases: number
  /** Copies started without a lease (the start-on-dead variant). */
  rogueStarts: number
  prepares: number
  preparesFailed: number
  boardReports: number
  boardDrops: number
  boardStale: number
}

/** CPU measurements for the benchmark. */
export interface CpuSamples {
  reconciles: number
  reconcileMicros: number
  /** Some reconcile inputs, to time `place()` alone afterwards. */
  inputs: PlacementInput[]
}


export class PlacementWorld {
  readonly queue = new EventQueue()
  readonly network: SimNetwork
  readonly faults: NodeFaults
  readonly processes: ProcessTable
  readonly checker: SafetyChecker
  readonly machines: SimMachine[] = []
  readonly rng: Rng
  readonly voters: NodeId[]
  readonly counters: PlacementCounters = {
    acquisitions: 0, starts: 0, failovers: 0, stops: 0, kills: 0, reconciles: 0, acquiresBeforeLeases: 0, rogueStarts: 0,
    prepares: 0, preparesFailed: 0, boardReports: 0, boardDrops: 0, boardStale: 0
  }
  readonly cpu: CpuSamples | undefined
  readonly trace: string[] | undefined
  /** Where each slot last started: the newest copy of its state (the desired state records it in the real node). */
  readonly lastStarted = new Map<string, number>()
  /** True time of the last process start or exit anywhere: when what runs last changed. */
  lastProcessChangeMs = 0
  /** Called with every lease event of every node (fault shapes that aim at a lease's timing use it). */
  onLeaseEvent: ((node: number, e: LeaseEvent) => void) | undefined
  private readonly byId = new Map<NodeId, SimMachine>()
  private readonly cuts: PlacementCuts

  constructor (readonly options: PlacementWorldOptions) {
    const root = new Xoshiro128(options.seed)
    this.rng = root.fork('world')
    this.network = new SimNetwork(this.queue, root.fork('network'), {
      ...options.network,
      maxPacketBytes: Math.max(options.network.maxPacketBytes ?? 0, MEMBERSHIP_PACKET_BYTES + MUX_HEADER_BYTES)
    })
    this.faults = new NodeFaults(this.network)
    this.cuts = new PlacementCuts(this.network, (i) => this.machines[i].id)
    this.processes = new ProcessTable(this.queue, root.fork('processes'), {
      started: (p) => { this.lastProcessChangeMs = this.queue.nowMs; this.checker.processStarted(p) },
      exited: (p) => { this.lastProcessChangeMs = this.queue.nowMs; this.onExit(p) }
    })
    this.checker = new SafetyChecker(this.queue, this.processes, (i) => this.machines[i]?.name ?? `#${i}`)
    this.cpu = options.measureCpu === true ? { reconciles: 0, reconcileMicros: 0, inputs: [] } : undefined
    this.trace = options.trace === true ? [] : undefined
    const clocks = root.fork('clocks')
    const total = options.servers + options.clients
    for (let i = 0; i < total; i++) {
      const role: MemberRole = i < options.servers ? 'server' : 'client'
      const index = this.network.addNode(simNodeId(i))
      this.network.runtime(index).kill() // not running until booted
      const rate = options.clockRate(i, clocks)
      const clock = new NodeClock(this.queue, { offsetMs: clocks.float() * 1e6, rate })
      const m: SimMachine = {
        index,
        id: this.network.idOf(index),
        name: `${role}-${i}`,
        role,
        tags: options.tagsOf?.(i) ?? [],
        capacity: options.capacityOf(i, role),
        rate,
        clock,
        scheduler: new SimScheduler(this.queue, clock, this.network.runtime(index)),
        grants: new Map(),
        ballots: new Map(),
        nextIncarnation: 0,
        specs: options.specs,
        agent: undefined,
        rebooting: false
      }
      this.machines.push(m)
      this.byId.set(m.id, m)
    }
    this.voters = this.machines.filter((m) => m.role === 'server').map((m) => m.id).sort()
  }

  get nowMs (): number { return this.queue.nowMs }

  machineOf (id: NodeId): SimMachine | undefined { return this.byId.get(id) }

  /** Starts machine `index`'s agent: its first boot, or a restart after a crash. */
  boot (index: number): void {
    const m = this.machines[index]
    if (m.agent !== undefined) return
    if (m.rebooting) {
      // A rebooted machine's CLOCK_BOOTTIME starts over somewhere else; its crystal runs as before.
      m.clock = new NodeClock(this.queue, { offsetMs: this.rng.float() * 1e6, rate: m.rate })
      m.scheduler = new SimScheduler(this.queue, m.clock, this.network.runtime(index))
      m.rebooting = false
    }
    const transport = this.faults.restart(index)
    m.agent = new AgentLife(this, m, transport)
    this.note(`${m.name} boots (membership incarnation ${m.nextIncarnation})`)
  }

  /**
   * kill -9 of the agent: its transport closes (the kernel sends RST), its timers die, and its children keep
   * running until the watchdog kills them, within WATCHDOG_MAX_MS.
   */
  crashAgent (index: number): void {
    const m = this.machines[index]
    if (!this.stopAgent(m)) return
    this.faults.crash(index)
    this.processes.killAll(index, this.rng.float() * WATCHDOG_MAX_MS)
    this.note(`${m.name}: agent killed (kill -9)`)
  }

  /** The whole machine is lost: nobody is told, its children die with it, its clock starts over on reboot. */
  loseMachine (index: number): void {
    const m = this.machines[index]
    if (!this.stopAgent(m)) return
    this.faults.crash(index, { machineLoss: true })
    this.processes.killAll(index, 0, undefined, true)
    m.rebooting = true
    this.note(`${m.name}: machine lost`)
  }

  /** Stalls machine `index`'s agent for `ms` (GC, swap, SIGSTOP): its children run on. Not while already stalled. */
  pause (index: number, ms: number): boolean {
    const runtime = this.network.runtime(index)
    if (this.machines[index].agent === undefined || runtime.paused) return false
    this.faults.pause(index, ms)
    this.note(`${this.machines[index].name}: paused for ${ms.toFixed(0)} ms`)
    return true
  }

  /** Ends every pause now. */
  resumeAll (): void {
    for (const m of this.machines) {
      const runtime = this.network.runtime(m.index)
      if (runtime.paused) runtime.resume()
    }
  }

  /** Cuts `a` from `b` (everyone else when absent); one way (a's sends dropped) if `oneWay`. Returns the heal. */
  partition (a: number[], b: number[] | undefined, oneWay: boolean): () => void {
    const names = (g: number[]): string => g.map((i) => this.machines[i].name).join(',')
    this.note(`partition: ${names(a)} ${oneWay ? '-/->' : '<-/->'} ${b === undefined ? 'everyone else' : names(b)}`)
    return this.cuts.cut(a, b, oneWay)
  }

  healAll (): void {
    this.cuts.healAll()
    this.note('every partition healed')
  }

  /** Whether `a` and `b` can exchange messages both ways now (a state fetch needs both). */
  reachable (a: number, b: number): boolean {
    return a === b || (!this.cuts.blocks(a, b) && !this.cuts.blocks(b, a))
  }

  /** Whether messages from `from` to `to` are dropped now. */
  cut (from: number, to: number): boolean {
    return this.cuts.blocks(from, to)
  }

  /** Holds an instance report that a cut keeps from `to`, until it heals (see PlacementCuts). */
  holdReport (from: AgentLife, fromIndex: number, to: number, bytes: Uint8Array): void {
    this.cuts.hold(from, fromIndex, to, bytes)
  }

  /** The connection between `a` and `b` (or every one of `a`) broke: a dead verdict, a crash. */
  connectionBroken (a: number, b?: number): void {
    this.cuts.broken(a, b)
  }

  /**
   * An edit of the desired state: every machine's copy holds `specs` after a random sync delay up to
   * `maxSyncMs` (the Yjs update crossing the network), and its agent reconciles.
   */
  setSpecs (specs: readonly WorkloadSpec[], maxSyncMs: number): void {
    for (const m of this.machines) {
      this.queue.at(this.queue.nowMs + this.rng.float() * maxSyncMs, () => {
        m.specs = specs
        m.agent?.desiredChanged()
      })
    }
  }

  /** Whether every running agent's membership sees every other running machine as live, and no other. */
  membershipConverged (): boolean {
    const up = this.machines.filter((m) => m.agent !== undefined)
    for (const m of up) {
      const live = new Set((m.agent as AgentLife).membership.liveIds())
      if (live.size !== up.length - 1) return false
      for (const o of up) if (o !== m && !live.has(o.id)) return false
    }
    return true
  }

  /** Every leased slot's key, of the given kinds, as placement would list them with every node live. */
  slotKeys (kinds: ReadonlyArray<WorkloadSpec['kind']>): string[] {
    const keys: string[] = []
    for (const s of this.options.specs) {
      if (!kinds.includes(s.kind)) continue
      const n = s.kind === 'replicated' ? (s.replicas ?? 1) : 1
      for (let i = 0; i < n; i++) keys.push(`w/${s.name}/${i}`)
    }
    return keys
  }

  /** Where every live process runs, as assignments (the truth, for the benchmark's stability check). */
  truth (): Assignment[] {
    const out: Assignment[] = []
    for (const m of this.machines) {
      for (const p of this.processes.ofNode(m.index)) {
        const parts = /^w\/(.+)\/(\d+)$/.exec(p.key)
        if (parts !== null && p.ending === undefined) out.push({ workload: parts[1], index: Number(parts[2]), node: m.id })
      }
    }
    return out
  }

  /** The machine running the most processes now (ties: the lowest index), for faults aimed at holders. */
  busiest (): number {
    let best = 0
    let most = -1
    for (const m of this.machines) {
      const n = this.processes.ofNode(m.index).length
      if (n > most) { most = n; best = m.index }
    }
    return best
  }

  /** Adds a line to the trace, if one is kept. */
  note (line: string): void {
    this.trace?.push(`${(this.queue.nowMs / 1000).toFixed(3).padStart(9)} s  ${line}`)
  }

  private stopAgent (m: SimMachine): boolean {
    const life = m.agent
    if (life === undefined) return false
    this.connectionBroken(m.index)
    // The real node persists its incarnation: the next start comes back above every one this life used.
    m.nextIncarnation = Math.max(m.nextIncarnation, life.membership.incarnation + 1)
    life.stop()
    m.agent = undefined
    return true
  }

  private onExit (p: SimProcess): void {
    this.machines[p.node].agent?.processExited(p)
  }
}
