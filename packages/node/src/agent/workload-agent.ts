import {
  agentSlotKey, PlacementAgent,
  type AgentCommand, type AgentInput, type Assignment, type LeaseEvent, type MoveRequest, type NodeId, type Placement, type PlacementNode, type ScaleRequest, type WorkloadSpec
} from '@dreammesh/protocols'
import type { InstanceStatus } from './instance-report.js'

/**
 * A slot's lease resource key: placement's slot key under `w/`, since every kind of ownership (input focus,
 * display outputs) is a lease on an opaque key in one namespace (ADR 0009).
 */
export function slotKey (workload: string, index: number): string {
  return agentSlotKey(workload, index)
}

/** Changes within this window are reconciled once, in ms. */
export const RECONCILE_DEBOUNCE_MS = 20

/** What runs instances on this node (the supervisor, behind this seam). */
export interface InstanceRunner {
  /** Starts the instance of `key` under lease `epoch`. */
  start: (key: string, spec: WorkloadSpec, index: number, epoch: number) => void
  /** Stops it gracefully (SIGTERM, then SIGKILL at its grace); resolves when no process of it is left. */
  stop: (key: string) => Promise<void>
  /** Kills it now (SIGKILL its whole cgroup); resolves when no process of it is left. */
  kill: (key: string) => Promise<void>
  /** What runs here now, for the instance board. */
  statuses: () => InstanceStatus[]
}

/** What the agent leases through (LeaseHost, behind this seam). */
export interface SlotLeases {
  acquire: (key: string) => void
  release: (key: string) => void
}

export interface WorkloadAgentInit {
  selfId: NodeId
  /** The desired workloads, validated (invalid specs are reported elsewhere and left out). */
  specs: () => WorkloadSpec[]
  /** Live members (alive or suspect), self included, as placement sees them. */
  nodes: () => PlacementNode[]
  /** Where instances run now, cluster-wide (from the instance board). */
  current: () => Assignment[]
  leases: SlotLeases
  runner: InstanceRunner
  /** Standing `move` requests from the desired state. */
  moves?: () => MoveRequest[]
  /** Standing `scale` requests from the desired state. */
  scale?: () => ScaleRequest[]
  /** Where each stateful slot's newest state is, from the desired state. */
  stateHomes?: () => Assignment[]
  /**
   * Brings a slot's state here before it starts (from `from`, which ran it last); resolves true when the
   * state is in place. Needed for workloads with a state dir.
   */
  prepare?: (command: Extract<AgentCommand, { type: 'prepare' }>, spec: WorkloadSpec) => Promise<boolean>
  /** An instance was started under `epoch` (its state here is now the newest). */
  onStarted?: (spec: WorkloadSpec, index: number, epoch: number) => void
  /** The placement every reconcile computed (for `ps` and the API). */
  onPlacement?: (placement: Placement) => void
  /** An instance failed to stop or start; the agent keeps going. */
  onError?: (key: string, err: Error) => void
}

/**
 * The workload agent of one node: the driver of @dreammesh/protocols' sans-IO `PlacementAgent` over real
 * leases and real processes. It coalesces changes into one reconcile, reads the inputs placement needs,
 * and carries out the agent's commands, feeding their results back in.
 */
export class WorkloadAgent {
  private readonly machine: PlacementAgent
  private timer: NodeJS.Timeout | undefined
  private stopped = false

  constructor (private readonly init: WorkloadAgentInit) {
    this.machine = new PlacementAgent({
      selfId: init.selfId,
      hasState: workload => this.specOf(workload)?.stateDir !== undefined
    })
  }

  /** Something placement depends on changed: reconcile soon (coalesced). */
  changed (): void {
    if (this.stopped || this.timer !== undefined) return
    this.timer = setTimeout(() => { this.timer = undefined; this.reconcile() }, RECONCILE_DEBOUNCE_MS)
    this.timer.unref()
  }

  /** Computes placement now and acts on the slots of this node. */
  reconcile (): Placement | undefined {
    if (this.stopped) return undefined
    const init = this.init
    const step = this.feed({
      type: 'reconcile',
      input: { specs: init.specs(), nodes: init.nodes(), current: init.current(), moves: init.moves?.() ?? [], scale: init.scale?.() ?? [], stateHomes: init.stateHomes?.() ?? [] }
    })
    return step
  }

  /** A lease event of this node's LeaseHost. */
  onLease (event: LeaseEvent): void {
    if (this.stopped) return
    this.feed({ type: 'lease', event })
  }

  /** Stops reconciling; instances are left to the supervisor's own stop (or die with the agent). */
  stop (): void {
    this.stopped = true
    if (this.timer !== undefined) clearTimeout(this.timer)
  }

  private feed (input: AgentInput): Placement | undefined {
    const step = this.machine.step(input)
    if (step.placement !== undefined) this.init.onPlacement?.(step.placement)
    for (const command of step.commands) this.carryOut(command)
    if (step.reconcileSoon) this.changed()
    return step.placement
  }

  private carryOut (command: AgentCommand): void {
    const { init } = this
    const fail = (err: Error): void => { init.onError?.(command.key, err) }
    switch (command.type) {
      case 'acquire': init.leases.acquire(command.key); return
      case 'release': init.leases.release(command.key); return
      case 'kill': init.runner.kill(command.key).catch(fail); return
      case 'stop':
        init.runner.stop(command.key).then(() => { if (!this.stopped) this.feed({ type: 'stopped', key: command.key }) }, fail)
        return
      case 'start': {
        const spec = this.specOf(command.workload)
        if (spec === undefined) {
          // Removed from the desired state in the same instant: nothing to start; the next reconcile stops the slot.
          this.changed()
          return
        }
        init.runner.start(command.key, spec, command.index, command.epoch)
        init.onStarted?.(spec, command.index, command.epoch)
        return
      }
      case 'prepare': {
        const spec = this.specOf(command.workload)
        const prepare = init.prepare
        const done = (ok: boolean): void => { if (!this.stopped) this.feed({ type: 'prepared', key: command.key, ok }) }
        if (spec === undefined || prepare === undefined) { done(spec !== undefined); return }
        prepare(command, spec).then(done, (err: Error) => { fail(err); done(false) })
      }
    }
  }

  private specOf (workload: string): WorkloadSpec | undefined {
    return this.init.specs().find(s => s.name === workload)
  }
}
