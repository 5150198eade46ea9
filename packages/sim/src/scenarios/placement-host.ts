import {
  agentSlotKey, LeaseMachine, MachineDriver, Membership, parseAgentSlotKey, place, PlacementAgent,
  type AgentCommand, type AgentInput, type Assignment, type LeaseCommand, type LeaseEvent, type LeaseOutput, type MemberView,
  type MembershipCommand, type MembershipEvent, type Input, type PlacementInput, type PlacementNode, type Rng, type StateMachine, type Transport, type WorkloadSpec
} from '@dreammesh/protocols'
import type { NodeRuntime } from '../clock/node-runtime.js'
import type { SimTransport } from '../network/sim-transport.js'
import { SimInstanceBoard, type ReportedInstance } from './placement-board.js'
import { MuxChannel, TransportMux } from './placement-mux.js'
import type { SimProcess } from './placement-processes.js'
import type { PlacementWorld, SimMachine } from './placement-world.js'

/**
 * One life of a simulated node's agent process: the glue the real node's drivers are (dream-node.ts,
 * WorkloadsService, WorkloadAgent, LeaseHost, InstanceBoard, SupervisorRunner), around the UNMODIFIED
 * `Membership`, `LeaseMachine` and `PlacementAgent`. A crash ends the life; a restart makes a new one from
 * what the machine kept (its fsynced lease grants, its membership incarnation).
 *
 * The order of a start is the real node's: membership starts; the supervisor kills what an earlier life
 * left; the agent exists; the lease host starts (opening its store and protocols takes a little while, and
 * an `acquire` asked for before it exists waits for it, as WorkloadsService keeps it); the agent is told
 * to reconcile; then the node joins through its seeds.
 */

/** Reconcile at most this often: changes within the window are reconciled once (RECONCILE_DEBOUNCE_MS). */
export const RECONCILE_DEBOUNCE_MS = 20
/** The lease host's start (LeaseStore.open, protocol handlers) takes this long at least and at most, in ms. */
const LEASE_HOST_START_MS = [2, 30] as const
/** An fsync of the lease store takes this long, in ms; now and then a slow disk takes SLOW_FSYNC_MS more. */
const FSYNC_MS = [0.3, 3] as const
const SLOW_FSYNC_MS = [10, 60] as const
const SLOW_FSYNC_SHARE = 0.03
/** Fetching a slot's state from another node takes this long, in ms. */
const STATE_FETCH_MS = [20, 200] as const
/** Membership joins through this many servers. */
const JOIN_SEEDS = 3

export class AgentLife {
  readonly membership: Membership
  private readonly memberDriver: MachineDriver<MembershipCommand, MembershipEvent>
  /** The lease machine, once the lease host started (for status and debugging). */
  lease: LeaseMachine | undefined
  private leaseDriver: MachineDriver<LeaseCommand, LeaseEvent> | undefined
  private readonly agent: PlacementAgent
  private readonly board: SimInstanceBoard
  private readonly runtime: NodeRuntime
  private readonly incarnation: number
  private readonly mux: TransportMux
  private readonly boardTransport: Transport
  /** The lease channel, whose counters the benchmark reads (messages a voter receives). */
  readonly leaseTransport: Transport
  /** The processes this life started; leftovers of an earlier life are not its own. */
  private readonly mine = new Set<SimProcess>()
  private reconcileArmed = false
  /** Acquires asked for before the lease host started, sent once it has. */
  private readonly acquiresWaiting = new Set<string>()
  private stopped = false

  constructor (private readonly world: PlacementWorld, private readonly m: SimMachine, transport: SimTransport) {
    this.runtime = world.network.runtime(m.index)
    this.incarnation = this.runtime.incarnation
    this.mux = new TransportMux(transport)
    const rng = world.rng.fork(`${m.name}/${this.incarnation}`)
    this.membership = new Membership({
      id: m.id,
      meta: { name: m.name, role: m.role, addrs: [], tags: m.tags, state: new Uint8Array(0) },
      rng: rng.fork('membership'),
      config: world.options.membershipConfig,
      incarnation: m.nextIncarnation,
      nowMs: m.clock.nowMs()
    })
    this.memberDriver = new MachineDriver(this.membership, this.mux.channel(MuxChannel.membership), m.scheduler, {
      onEvent: (e) => { this.onMember(e) },
      closedCommand: (peer) => ({ type: 'connection-closed', peer })
    })
    this.agent = new PlacementAgent({ selfId: m.id, hasState: (w) => this.specOf(w)?.stateDir !== undefined })
    this.boardTransport = this.mux.channel(MuxChannel.board)
    this.leaseTransport = this.mux.channel(MuxChannel.lease)
    this.board = new SimInstanceBoard({
      selfId: m.id,
      transport: this.boardTransport,
      peers: world.machines.filter((x) => x !== m).map((x) => x.id),
      send: (peer, bytes) => { this.sendReport(peer, bytes) },
      memberOf: (id) => this.membership.member(id),
      selfIncarnation: () => this.membership.incarnation,
      later: (ms, fn) => { this.later(ms, fn) },
      onChanged: () => { this.changed() },
      onDrop: (reason) => { world.counters.boardDrops++; if (reason === 'stale') world.counters.boardStale++ }
    })
    this.memberDriver.start()
    this.board.start()
    // The supervisor kills what an earlier life left before any lease is taken (ADR 0012).
    world.processes.killAll(m.index, 0, this.fromWorld(() => {
      this.later(between(rng, LEASE_HOST_START_MS), () => { this.startLeases(rng) })
    }))
  }

  /** The agent process dies (kill -9 or power): its machines stop where they are. */
  stop (): void {
    this.stopped = true
    this.memberDriver.stop()
    this.leaseDriver?.stop()
  }

  /** A report a cut held is delivered now that it healed (the connection survived). */
  sendHeldReport (peer: string, bytes: Uint8Array): void {
    if (!this.stopped) this.boardTransport.sendFrame(peer, bytes)
  }

  /** The desired state changed (its workload specs): reconcile, as WorkloadsService.onDesiredChange. */
  desiredChanged (): void {
    this.fromWorld(() => { this.changed() })()
  }

  /** A process of this machine exited (a world event; the agent hears of it when it runs). */
  processExited (p: SimProcess): void {
    if (!this.mine.has(p)) return
    this.fromWorld(() => {
      this.mine.delete(p)
      this.report()
    })()
  }

  private startLeases (rng: Rng): void {
    const m = this.m
    const world = this.world
    const now = m.clock.nowMs()
    const grants = [...m.grants.values()]
    const lease = this.lease = new LeaseMachine({
      id: m.id,
      rng: rng.fork('lease'),
      config: world.options.leaseConfig,
      voters: { version: 0, voters: world.voters },
      nowMs: now,
      // As LeaseStore.restart: a node that never granted or asked for anything has nothing to wait out.
      ...(grants.length === 0 && m.ballots.size === 0 ? {} : { restart: { restartedAtMs: now, grants, ballots: [...m.ballots].map(([resource, epoch]) => ({ resource, epoch })) } })
    })
    // LeaseHost's adapter: make `persist` durable (a simulated fsync), then step `persisted`.
    const durable: StateMachine<LeaseCommand, LeaseEvent> = {
      step: (nowMs: number, input: Input<LeaseCommand>): LeaseOutput => {
        const out = lease.step(nowMs, input)
        const request = out.persist
        if (request !== undefined) {
          const delay = between(world.rng, FSYNC_MS) + (world.rng.float() < SLOW_FSYNC_SHARE ? between(world.rng, SLOW_FSYNC_MS) : 0)
          this.later(delay, () => {
            for (const r of request.records) {
              if (r.type === 'grant') m.grants.set(r.record.resource, { ...r.record })
              else if (r.type === 'ballot') m.ballots.set(r.resource, Math.max(r.epoch, m.ballots.get(r.resource) ?? 0))
            }
            this.leaseDriver?.command({ type: 'persisted', id: request.id })
          })
        }
        return out
      }
    }
    this.leaseDriver = new MachineDriver(durable, this.leaseTransport, m.scheduler, { onEvent: (e) => { this.onLease(e) } })
    this.leaseDriver.start()
    for (const key of this.acquiresWaiting) this.leaseDriver.command({ type: 'acquire', resource: key })
    this.acquiresWaiting.clear()
    this.changed()
    // Joining comes after the workloads service started (dream-node.ts).
    const seeds = world.machines.filter((x) => x.role === 'server' && x !== m).slice(0, JOIN_SEEDS).map((x) => x.id)
    this.memberDriver.command({ type: 'join', seeds })
  }

  /** A report goes over the connection to `peer`; across a cut it waits for the heal, as TCP would. */
  private sendReport (peer: string, bytes: Uint8Array): void {
    const to = this.world.machineOf(peer)
    if (to === undefined) return
    if (this.world.cut(this.m.index, to.index)) this.world.holdReport(this, this.m.index, to.index, bytes)
    else this.boardTransport.sendFrame(peer, bytes)
  }

  private onMember (e: MembershipEvent): void {
    if (e.type === 'joined' || e.type === 'alive' || e.type === 'dead' || e.type === 'suspect') {
      this.world.note(`${this.m.name}: member ${this.world.machineOf(e.member.id)?.name ?? e.member.id} ${e.type} (incarnation ${e.member.incarnation})`)
    }
    switch (e.type) {
      case 'refuted':
        this.m.nextIncarnation = Math.max(this.m.nextIncarnation, e.incarnation + 1)
        this.board.republish(true)
        return
      case 'dead': {
        if (this.world.options.startOnDead === true) this.startOnDead(e.member.id)
        this.board.forget(e.member.id)
        // The real node hangs up on a dead member: what its connection still held is lost.
        const peer = this.world.machineOf(e.member.id)
        if (peer !== undefined) this.world.connectionBroken(this.m.index, peer.index)
        break
      }
      case 'joined':
        this.board.forget(e.member.id)
        this.board.memberBack(e.member.id, e.member.incarnation)
        this.board.republish()
        break
      case 'left':
        this.board.forget(e.member.id)
        break
      case 'reaped':
        this.board.forget(e.id)
        this.changed()
        return
      case 'alive':
      case 'updated':
        this.board.memberBack(e.member.id, e.member.incarnation)
        break
      case 'suspect':
        break
      default:
        return
    }
    this.changed()
  }

  private onLease (e: LeaseEvent): void {
    const { world, m } = this
    world.onLeaseEvent?.(m.index, e)
    switch (e.type) {
      case 'acquired':
        world.counters.acquisitions++
        world.checker.leaseAcquired(m.index, e.resource, e.epoch, e.validUntilMs, m.clock)
        world.note(`${m.name}: acquired ${e.resource} epoch ${e.epoch}`)
        break
      case 'renewed':
        world.checker.leaseRenewed(m.index, e.resource, e.epoch, e.validUntilMs, m.clock)
        break
      case 'released':
        world.checker.leaseReleased(m.index, e.resource, e.epoch)
        break
      case 'lost':
        world.checker.leaseLost(m.index, e.resource, e.epoch, e.reason)
        world.note(`${m.name}: lost ${e.resource} (${e.reason})`)
        break
      default:
    }
    this.feed({ type: 'lease', event: e })
  }

  /** Something placement depends on changed: reconcile soon (coalesced), as WorkloadAgent.changed. */
  private changed (): void {
    if (this.stopped || this.reconcileArmed) return
    this.reconcileArmed = true
    this.later(RECONCILE_DEBOUNCE_MS, () => { this.reconcileArmed = false; this.reconcile() })
  }

  private reconcile (): void {
    const input: PlacementInput = { specs: this.m.specs, nodes: this.nodes(), current: this.current(), moves: [], scale: [], stateHomes: this.stateHomes() }
    this.world.counters.reconciles++
    const cpu = this.world.cpu
    if (cpu === undefined) { this.feed({ type: 'reconcile', input }); return }
    // Keep every 50th input, to time place() alone afterwards.
    if (cpu.reconciles % 50 === 0 && cpu.inputs.length < 400) cpu.inputs.push(input)
    const before = process.cpuUsage()
    this.feed({ type: 'reconcile', input })
    const used = process.cpuUsage(before)
    cpu.reconciles++
    cpu.reconcileMicros += used.user + used.system
  }

  private feed (input: AgentInput): void {
    if (this.stopped) return
    const step = this.agent.step(input)
    for (const c of step.commands) this.carryOut(c)
    if (step.reconcileSoon) this.changed()
  }

  private carryOut (c: AgentCommand): void {
    const { world, m } = this
    switch (c.type) {
      case 'acquire':
        // As the real driver: without a lease host yet, the acquire waits for it.
        if (this.leaseDriver === undefined) { world.counters.acquiresBeforeLeases++; this.acquiresWaiting.add(c.key); return }
        this.leaseDriver.command({ type: 'acquire', resource: c.key })
        return
      case 'release':
        this.acquiresWaiting.delete(c.key)
        if (this.leaseDriver === undefined) return
        this.leaseDriver.command({ type: 'release', resource: c.key })
        return
      case 'kill':
        if (world.processes.of(m.index, c.key).length > 0) {
          world.counters.kills++
          world.note(`${m.name}: kill ${c.key}`)
        }
        world.processes.kill(m.index, c.key)
        this.report()
        return
      case 'stop':
        world.counters.stops++
        world.note(`${m.name}: stop ${c.key}`)
        world.processes.stop(m.index, c.key, world.options.leaseConfig.stopGraceMs, this.fromWorld(() => { this.feed({ type: 'stopped', key: c.key }) }))
        this.report()
        return
      case 'start':
        this.start(c.key, c.epoch, false)
        return
      case 'prepare':
        this.prepare(c)
    }
  }

  private start (key: string, epoch: number, rogue: boolean): void {
    const { world, m } = this
    const before = world.lastStarted.get(key)
    if (rogue) world.counters.rogueStarts++
    else world.counters.starts++
    if (!rogue && before !== undefined && before !== m.index) world.counters.failovers++
    world.note(`${m.name}: start ${key} epoch ${epoch}${rogue ? ' WITHOUT A LEASE' : ''}`)
    this.mine.add(world.processes.start(m.index, key, epoch, rogue))
    world.lastStarted.set(key, m.index)
    this.report()
  }

  /**
   * The StateMover's rule: the newest copy (where the slot last started) is fetched unless it is here; if its
   * node is away the slot waits (`prepared` false) rather than start without its data.
   */
  private prepare (c: Extract<AgentCommand, { type: 'prepare' }>): void {
    const { world, m } = this
    world.counters.prepares++
    const newest = world.lastStarted.get(c.key)
    const source = newest === undefined ? (c.from === undefined ? undefined : world.machineOf(c.from)?.index) : newest
    const answer = (ok: boolean): void => {
      if (!ok) world.counters.preparesFailed++
      this.feed({ type: 'prepared', key: c.key, ok })
    }
    if (source === undefined || source === m.index) { this.later(0, () => { answer(true) }); return }
    const sourceId = world.machines[source].id
    if (!this.isLive(sourceId)) { this.later(0, () => { answer(false) }); return }
    this.later(between(world.rng, STATE_FETCH_MS), () => {
      answer(world.machines[source].agent !== undefined && world.reachable(source, m.index))
    })
  }

  /**
   * The broken variant: on a dead verdict, start at once, without a lease, each slot the dead node reported
   * that placement now puts here. Exactly what ADR 0009 forbids ("a dead verdict starts nothing").
   */
  private startOnDead (dead: string): void {
    const theirs = this.board.reportOf(dead)
    if (theirs.length === 0) return
    const current = this.current().filter((a) => a.node !== dead)
    const placement = place({ specs: this.m.specs, nodes: this.nodes().filter((n) => n.id !== dead), current })
    for (const inst of theirs) {
      const key = agentSlotKey(inst.workload, inst.index)
      const slot = placement.slots.find((s) => s.workload === inst.workload && s.index === inst.index)
      if (slot?.status !== 'placed' || slot.node !== this.m.id) continue
      if (this.world.processes.of(this.m.index, key).length > 0) continue
      this.start(key, 0, true)
    }
  }

  /** Live members as placement sees them, self included (WorkloadsService.nodes). */
  private nodes (): PlacementNode[] {
    const out: PlacementNode[] = []
    for (const v of [this.membership.self(), ...this.membership.members()]) {
      if (v.state !== 'alive' && v.state !== 'suspect') continue
      const machine = this.world.machineOf(v.id)
      out.push({ id: v.id, name: v.meta.name, role: v.meta.role, tags: v.meta.tags, capacity: machine?.capacity ?? { cpuMillis: 0, memoryBytes: 0 } })
    }
    return out
  }

  /** Where instances run: this life's own processes (the supervisor's truth) and live members' reports. */
  private current (): Assignment[] {
    const out: Assignment[] = []
    for (const p of this.mine) {
      const slot = parseAgentSlotKey(p.key)
      if (slot !== undefined) out.push({ ...slot, node: this.m.id })
    }
    out.push(...this.board.remoteAssignments())
    return out
  }

  /** Tells the board what runs here (the supervisor's event, then `report()` in WorkloadsService). */
  private report (): void {
    const instances: ReportedInstance[] = []
    for (const p of this.mine) {
      const slot = parseAgentSlotKey(p.key)
      if (slot === undefined || p.exited) continue
      instances.push({ workload: slot.workload, index: slot.index, state: p.ending === undefined ? 'running' : 'stopping', epoch: p.epoch })
    }
    this.board.setLocal(instances)
    this.world.counters.boardReports++
    this.changed()
  }

  private isLive (id: string): boolean {
    const v: MemberView | undefined = id === this.m.id ? this.membership.self() : this.membership.member(id)
    return v !== undefined && (v.state === 'alive' || v.state === 'suspect')
  }

  /**
   * Where each stateful slot's newest state is: the machine that last started it (the real node reads this
   * from the desired state's `stateHomes`, which its agent writes at each start and which syncs within ms).
   */
  private stateHomes (): Assignment[] {
    const out: Assignment[] = []
    for (const [key, index] of this.world.lastStarted) {
      const slot = /^w\/(.+)\/(\d+)$/.exec(key)
      if (slot === null) continue
      out.push({ workload: slot[1], index: Number(slot[2]), node: this.world.machines[index].id })
    }
    return out
  }

  private specOf (workload: string): WorkloadSpec | undefined {
    return this.m.specs.find((s) => s.name === workload)
  }

  /** Runs `fn` after `delayMs` of this machine's clock, held while the agent is paused, never after it died. */
  private later (delayMs: number, fn: () => void): void {
    if (this.stopped) return
    this.m.scheduler.at(this.m.clock.nowMs() + delayMs, () => { if (!this.stopped) fn() })
  }

  /** Wraps a world event's callback so the agent runs it: held while paused, dropped once this life ended. */
  private fromWorld (fn: () => void): () => void {
    const runtime = this.runtime
    const incarnation = this.incarnation
    const run = (): void => {
      if (this.stopped || runtime.incarnation !== incarnation) return
      if (runtime.paused) { runtime.hold(run, 0); return }
      fn()
    }
    return run
  }
}

function between (rng: Rng, [lo, hi]: readonly [number, number]): number {
  return lo + rng.float() * (hi - lo)
}
