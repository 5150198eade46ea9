import { place, slotKey as placementSlotKey, type Assignment, type LeaseEvent, type NodeId, type Placement, type PlacementNode, type WorkloadSpec } from '@dreammesh/protocols'
import type { InstanceStatus } from './instance-report.js'

/**
 * A slot's lease resource key: placement's slot key under `w/`, since every kind of ownership (input focus,
 * display outputs) is a lease on an opaque key in one namespace (ADR 0009).
 */
export function slotKey (workload: string, index: number): string {
  return `w/${placementSlotKey(workload, index)}`
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
  /** The placement every reconcile computed (for `ps` and the API). */
  onPlacement?: (placement: Placement) => void
  /** An instance failed to stop or start; the agent keeps going. */
  onError?: (key: string, err: Error) => void
}

type SlotPhase =
  /** Asked the voters for the lease; nothing runs. */
  | 'acquiring'
  /** Holds the lease; the instance was started under `epoch`. */
  | 'running'
  /** Stopping the instance (moved away, or the lease is ending); the lease is released after. */
  | 'stopping'

interface SlotState { phase: SlotPhase, index: number, workload: string, epoch?: number }

/**
 * The workload agent of one node: turns placement into leases and leases into running instances.
 *
 * Every node computes the same placement from the same inputs (desired specs, live members, where things
 * run now), and asks for the lease of each slot placed on it. Only a lease starts anything: when views
 * differ for a while, two nodes may both ask, and the voters grant one (ADR 0009). A slot placed elsewhere
 * now is stopped first and its lease released after, so the next holder never overlaps it; a lease that
 * ends (`stop-by`, `kill-by`, `lost`) stops the instance whatever placement says. A dead verdict from
 * membership changes placement, but the new owner starts only once the voters grant it, which is after the
 * old lease ran out by their clocks.
 */
export class WorkloadAgent {
  private readonly slots = new Map<string, SlotState>()
  private timer: NodeJS.Timeout | undefined
  private stopped = false
  private mine = new Map<string, { workload: string, index: number }>()

  constructor (private readonly init: WorkloadAgentInit) {}

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
    const placement = place({ specs: init.specs(), nodes: init.nodes(), current: init.current() })
    init.onPlacement?.(placement)
    const mine = new Map<string, { workload: string, index: number }>()
    for (const s of placement.slots) {
      if (s.status === 'placed' && s.node === init.selfId) mine.set(slotKey(s.workload, s.index), { workload: s.workload, index: s.index })
    }
    this.mine = mine
    for (const [key, slot] of mine) {
      if (!this.slots.has(key)) {
        this.slots.set(key, { phase: 'acquiring', ...slot })
        init.leases.acquire(key)
      }
    }
    for (const [key, state] of this.slots) {
      if (mine.has(key)) continue
      if (state.phase === 'acquiring') {
        this.slots.delete(key)
        init.leases.release(key)
      } else if (state.phase === 'running') {
        this.stopThenRelease(key, state)
      }
    }
    return placement
  }

  /** A lease event of this node's LeaseHost. */
  onLease (event: LeaseEvent): void {
    if (this.stopped || !('resource' in event) || !event.resource.startsWith('w/')) return
    const key = event.resource
    const state = this.slots.get(key)
    switch (event.type) {
      case 'acquired': {
        const spec = state === undefined ? undefined : this.init.specs().find(s => s.name === state.workload)
        if (state === undefined || state.phase !== 'acquiring' || spec === undefined || !this.mine.has(key)) {
          // Placement moved on while we asked: give it back at once.
          this.slots.delete(key)
          this.init.leases.release(key)
          return
        }
        state.phase = 'running'
        state.epoch = event.epoch
        this.init.runner.start(key, spec, state.index, event.epoch)
        return
      }
      case 'stop-by':
        if (state?.phase === 'running') this.stopThenRelease(key, state)
        return
      case 'kill-by':
      case 'lost':
        this.init.runner.kill(key).catch((err: Error) => { this.init.onError?.(key, err) })
        this.slots.delete(key)
        // Still ours by placement: ask again (the machine retries while another holds it).
        this.changed()
        return
      default:
    }
  }

  /** Stops reconciling; instances are left to the supervisor's own stop (or die with the agent). */
  stop (): void {
    this.stopped = true
    if (this.timer !== undefined) clearTimeout(this.timer)
  }

  private stopThenRelease (key: string, state: SlotState): void {
    state.phase = 'stopping'
    this.init.runner.stop(key).then(
      () => {
        if (this.slots.get(key) === state) this.slots.delete(key)
        this.init.leases.release(key)
        this.changed()
      },
      (err: Error) => { this.init.onError?.(key, err) }
    )
  }
}
