import {
  leaseConfig, place, validateWorkloadSpec,
  type Assignment, type LeaseConfig, type MemberView, type NodeId, type Placement, type PlacementNode, type ResourceRecord, type WorkloadSpec
} from '@dreammesh/protocols'
import type { DesiredStateChange, DesiredStateStore } from '../desired-state/index.js'
import type { DreamHost } from '../host/libp2p-host.js'
import { join } from 'node:path'
import { API_SOCKET_FILE } from '../api/constants.js'
import { LeaseHost } from '../leases/lease-host.js'
import { StateService } from '../state-transfer/index.js'
import { LogService } from '../logs/index.js'
import { createWorkloadSupervisor, type WorkloadSupervisor } from '../workloads/index.js'
import { Autoscaling } from './autoscaling.js'
import { InstanceBoard, type PlacedInstance } from './instance-board.js'
import { MAX_REPORTED_CPU_MILLIS } from './instance-report.js'
import { LoadMeter } from './load-meter.js'
import { StateMover } from './state-mover.js'
import { StateReplicator } from './state-replicator.js'
import { SupervisorRunner } from './supervisor-runner.js'
import { WorkloadAgent } from './workload-agent.js'

/** What the workloads service reads of its node. */
export interface WorkloadsNode {
  readonly selfId: NodeId
  readonly host: DreamHost
  readonly dataDir: string
  readonly store: DesiredStateStore
  /** This member and every member it remembers. */
  self: () => MemberView
  members: () => MemberView[]
  resourcesOf: (m: MemberView) => ResourceRecord | undefined
}

export interface WorkloadsServiceInit {
  node: WorkloadsNode
  /** @default leaseConfig() */
  leaseConfig?: LeaseConfig
  warn: (message: string) => void
  /** This node, as a workload's scaler, changed its count. */
  onAutoscaled?: (detail: { workload: string, from: number, to: number, reason: string }) => void
  onDrop: (reason: string) => void
}

/** States in which an instance occupies its slot, for placement's `current`. */
const OCCUPYING = new Set(['starting', 'running', 'unhealthy', 'stopping'])

/**
 * Workloads on one node, wired together: the desired specs (the replicated document), placement (the same
 * pure function on every node), leases (the only thing that starts an instance), the supervisor (real
 * processes in cgroups that die with the agent) and the instance board (where everything runs, gossiped).
 * Leases need voters: until the desired state names some, nothing is leased and nothing runs.
 */
export class WorkloadsService {
  private supervisor: WorkloadSupervisor | undefined
  private runner: SupervisorRunner | undefined
  private board: InstanceBoard | undefined
  private agent: WorkloadAgent | undefined
  private leases: LeaseHost | undefined
  private leasesStarting: Promise<void> | undefined
  /**
   * Slots the agent asked to acquire before the lease host had started: the agent asks once per slot and
   * waits, so a dropped acquire would leave the slot unplaced for good (placement soak, seed 1774).
   */
  private readonly acquiresWaiting = new Set<string>()
  private lastPlacement: Placement | undefined
  private stateService: StateService | undefined
  private replicator: StateReplicator | undefined
  private loadMeter: LoadMeter | undefined
  private autoscaling: Autoscaling | undefined
  /** Instance logs, served to and read from any node. */
  logs: LogService | undefined
  /** Where slots' state is, and bringing it over before a slot starts. */
  mover: StateMover | undefined
  private stopped = false

  constructor (private readonly init: WorkloadsServiceInit) {}

  async start (): Promise<void> {
    const node = this.init.node
    // It kills what an earlier life of this agent left behind before it returns: before any lease is taken.
    const supervisor = this.supervisor = await createWorkloadSupervisor({
      agentId: node.selfId,
      dataDir: node.dataDir,
      // The SDK finds its node here (packages/node/src/sdk). An isolated instance does not see the data dir.
      instanceEnv: { DREAMMESH_API_SOCKET: join(node.dataDir, API_SOCKET_FILE), DREAMMESH_NODE: node.selfId },
      onEvent: event => {
        if (event.type === 'leftover-reaped') this.init.warn(`killed an instance left by an earlier run of this agent: ${JSON.stringify(event.leftover)}`)
        this.report()
      }
    })
    const stateService = this.stateService = new StateService({
      node: node.host,
      dataDir: node.dataDir,
      isRunning: workload => supervisor.snapshot().some(s => s.workload === workload && OCCUPYING.has(s.state)),
      runningEpoch: workload => supervisor.snapshot().find(s => s.workload === workload && s.state === 'running')?.epoch,
      onDrop: reason => { this.init.onDrop(reason) }
    })
    await stateService.start()
    const logs = this.logs = new LogService({
      node: node.host,
      dataDir: node.dataDir,
      // Only a running instance's log grows; an ended one is read from disk. Its log stays open across
      // restarts, so `logs -f` of a crash-looping instance keeps following through its backoff.
      liveLog: (workload, index, stream) => supervisor.snapshot().some(s => s.workload === workload && s.index === index && (OCCUPYING.has(s.state) || s.state === 'backoff'))
        ? supervisor.log(workload, index, stream)
        : undefined,
      onDrop: reason => { this.init.onDrop(reason) }
    })
    await logs.start()
    const mover = this.mover = new StateMover({
      selfId: node.selfId,
      store: node.store,
      state: stateService,
      isLive: id => this.nodes().some(n => n.id === id),
      liveNodes: () => this.nodes().map(n => n.id),
      warn: this.init.warn
    })
    this.replicator = new StateReplicator({
      selfId: node.selfId,
      isServer: () => node.self().meta.role === 'server',
      specs: () => this.specs(),
      runnerOf: workload => this.instances().find(i => i.workload === workload && i.index === 0 && i.state === 'running')?.node,
      liveServers: () => this.nodes().filter(n => n.role === 'server').map(n => n.id),
      state: stateService,
      warn: this.init.warn
    })
    this.replicator.start()
    const runner = this.runner = new SupervisorRunner(supervisor, (key, err) => { this.init.warn(`${key}: ${err.message}`) }, {
      dataDir: node.dataDir,
      say: this.init.warn
    })
    this.startAutoscaling(supervisor)
    this.board = new InstanceBoard({
      host: node.host,
      selfId: node.selfId,
      memberOf: id => node.members().find(m => m.id === id),
      selfIncarnation: () => node.self().incarnation,
      onDrop: reason => { this.init.onDrop(reason) },
      onChanged: () => { this.agent?.changed() }
    })
    this.board.start()
    this.agent = new WorkloadAgent({
      selfId: node.selfId,
      specs: () => this.specs(),
      nodes: () => this.nodes(),
      current: () => this.current(),
      leases: {
        acquire: key => { if (this.leases === undefined) this.acquiresWaiting.add(key); else this.leases.acquire(key) },
        release: key => { this.acquiresWaiting.delete(key); this.leases?.release(key) }
      },
      runner,
      moves: () => node.store.moves().map(m => ({ workload: m.workload, index: m.index, to: m.to })),
      scale: () => [...node.store.scale()].map(([workload, r]) => ({ workload, instances: r.instances })),
      stateHomes: () => node.store.newestStateHomes(),
      prepare: async (command, spec) => await mover.prepare(command, spec),
      onStarted: (spec, index, epoch) => { mover.started(spec, index, epoch) },
      onPlacement: p => { this.lastPlacement = p },
      onError: (key, err) => { this.init.warn(`${key}: ${err.message}`) }
    })
    node.store.addEventListener('change', this.onDesiredChange)
    await this.ensureLeases()
    this.agent.changed()
  }

  /** Membership changed (a member joined, died, left, or its resources moved): placement may differ. */
  membersChanged (): void {
    this.agent?.changed()
  }

  /**
   * A member died, left, was reaped, or came back (joined again: a new process). What it reported is
   * forgotten: a dead node runs nothing we can count on, and a restarted one numbers its reports from 1 again.
   */
  memberGone (id: NodeId): void {
    this.board?.forget(id)
    this.agent?.changed()
  }

  /**
   * A member is live here (it joined, came back, refuted, or its metadata changed), at `member.incarnation`.
   * What an earlier life reported is forgotten, a report that came before we saw it live is taken, and a
   * member that (re)joined gets our report again: it forgot it, or never had it (placement soak, ADR 0014).
   */
  memberBack (member: MemberView, joined: boolean): void {
    this.board?.memberBack(member.id, member.incarnation)
    if (joined) this.board?.republish()
    this.agent?.changed()
  }

  /** This node refuted a suspicion: its incarnation rose, so the others dropped its report; send it again. */
  refuted (): void {
    this.board?.republish(true)
  }

  /** Every instance in the cluster, as the board knows it. */
  instances (): PlacedInstance[] {
    return this.board?.all() ?? []
  }

  /**
   * Where slot (workload, index) would go if `node` were drained: the target of an instance's `leave()`
   * (the SDK). Undefined when no other node can take it.
   */
  elsewhere (workload: string, index: number, node: NodeId): NodeId | undefined {
    const nodes = this.nodes().map(n => n.id === node ? { ...n, draining: true } : n)
    const store = this.init.node.store
    const placement = place({
      specs: this.specs(),
      nodes,
      current: this.current(),
      scale: [...store.scale()].map(([w, r]) => ({ workload: w, instances: r.instances })),
      stateHomes: store.newestStateHomes()
    })
    const slot = placement.slots.find(s => s.workload === workload && s.index === index)
    return slot?.status === 'placed' && slot.node !== node ? slot.node : undefined
  }

  /** The lease voter set in force on this node, or undefined before leases start. */
  leaseVoters (): { version: number, voters: string[] } | undefined {
    return this.leases?.voters()
  }

  /** The placement this node computed last. */
  placement (): Placement | undefined {
    return this.lastPlacement
  }

  /** The specs in the desired state that pass validation (the others are reported by `run` and `ps`). */
  specs (): WorkloadSpec[] {
    const out: WorkloadSpec[] = []
    for (const raw of this.init.node.store.workloads().values()) {
      const v = validateWorkloadSpec(raw)
      if (v.ok) out.push(v.spec)
    }
    return out
  }

  async stop (): Promise<void> {
    this.stopped = true
    this.init.node.store.removeEventListener('change', this.onDesiredChange)
    this.agent?.stop()
    await this.leasesStarting?.catch(() => {})
    await this.leases?.stop()
    this.board?.stop()
    this.loadMeter?.stop()
    this.autoscaling?.stop()
    this.replicator?.stop()
    await this.stateService?.stop()
    await this.logs?.stop()
    // Instances stop with the agent: their leases lapse, and the next holder waits for that.
    await this.supervisor?.close()
  }

  private readonly onDesiredChange = (event: CustomEvent<DesiredStateChange>): void => {
    if (event.detail.voters) {
      this.ensureLeases().catch((err: Error) => { this.init.warn(`leases: ${err.message}`) })
    }
    this.agent?.changed()
  }

  /** Starts the lease machine once the desired state names voters, and passes later changes on. */
  private async ensureLeases (): Promise<void> {
    const voters = this.init.node.store.activeVoters()
    if (voters.length === 0 || this.stopped) return
    if (this.leases !== undefined) {
      this.leases.setVoters(voters)
      return
    }
    if (this.leasesStarting !== undefined) return
    this.leasesStarting = (async () => {
      const leases = await LeaseHost.create({
        node: this.init.node.host,
        dataDir: this.init.node.dataDir,
        voters,
        config: this.init.leaseConfig ?? leaseConfig(),
        onEvent: e => { this.agent?.onLease(e) },
        onPersistError: err => { this.init.warn(`leases: could not persist a grant (this voter stays mute): ${err.message}`) }
      })
      await leases.start()
      if (this.stopped) {
        await leases.stop()
        return
      }
      this.leases = leases
      for (const key of this.acquiresWaiting) leases.acquire(key)
      this.acquiresWaiting.clear()
      this.agent?.changed()
    })()
    await this.leasesStarting
  }

  private nodes (): PlacementNode[] {
    const node = this.init.node
    const out: PlacementNode[] = []
    const drains = node.store.drains()
    for (const m of [node.self(), ...node.members()]) {
      if (m.state !== 'alive' && m.state !== 'suspect') continue
      if (node.store.isDenied(m.id)) continue
      const r = node.resourcesOf(m)
      // A member whose first resource record has not arrived offers nothing yet; it soon will.
      const capacity = r === undefined ? { cpuMillis: 0, memoryBytes: 0 } : { cpuMillis: r.cpuCount * 1000, memoryBytes: r.memTotalBytes ?? 0 }
      out.push({ id: m.id, name: m.meta.name, role: m.meta.role, tags: m.meta.tags, capacity, ...(drains.has(m.id) ? { draining: true } : {}) })
    }
    return out
  }

  private current (): Assignment[] {
    return this.instances().filter(i => OCCUPYING.has(i.state)).map(i => ({ workload: i.workload, index: i.index, node: i.node }))
  }

  private report (): void {
    if (this.runner === undefined || this.board === undefined) return
    const meter = this.loadMeter
    this.board.setLocal(this.runner.statuses().map(s => {
      const figure = s.state === 'running' ? meter?.figure(s.workload, s.index) : undefined
      // Within what a report may carry (a runaway reading must not get the whole report refused).
      return figure === undefined ? s : { ...s, cpuMillis: Math.min(figure, MAX_REPORTED_CPU_MILLIS) }
    }))
    this.agent?.changed()
  }

  /** The CPU of local instances of autoscaled workloads, reported; and the scaler of those whose slot 0 runs here. */
  private startAutoscaling (supervisor: WorkloadSupervisor): void {
    const autoscaled = (): Set<string> => new Set(this.specs().filter(s => s.autoscale !== undefined).map(s => s.name))
    this.loadMeter = new LoadMeter({
      measured: () => {
        const names = autoscaled()
        return supervisor.snapshot().filter(s => s.state === 'running' && names.has(s.workload)).map(s => ({ workload: s.workload, index: s.index }))
      },
      read: async (workload, index) => await supervisor.cpuUsageUsec(workload, index),
      onChange: () => { this.report() }
    })
    this.loadMeter.start()
    this.autoscaling = new Autoscaling({
      specs: () => this.specs(),
      runsFirst: workload => supervisor.snapshot().some(s => s.workload === workload && s.index === 0 && s.state === 'running'),
      load: workload => {
        const running = this.instances().filter(i => i.workload === workload && i.state === 'running')
        return { running: running.length, cpuMillis: running.flatMap(i => i.cpuMillis === undefined ? [] : [i.cpuMillis]) }
      },
      scaled: workload => this.init.node.store.scale().get(workload)?.instances,
      setScale: async (workload, instances) => { await this.init.node.store.setScale(workload, instances) },
      onScaled: detail => { this.init.onAutoscaled?.(detail) },
      warn: this.init.warn
    })
    this.autoscaling.start()
  }
}
