import type { NodeId } from '../core/ids.js'
import type { LeaseEvent } from '../lease/types.js'
import { place } from './place.js'
import { slotKey as placementSlotKey } from './slots.js'
import type { Placement, PlacementInput } from './types.js'

/**
 * The workload agent of one node, sans-IO: it turns placement into leases and leases into instances. The
 * real node drives it with real leases and processes; the simulator drives the very same code with virtual
 * ones (ARCHITECTURE.md rule 1), so the soak checks what runs.
 *
 * Every node computes the same placement from the same inputs and asks for the lease of each slot placed
 * on it. Only a lease starts anything: when views differ for a while, two nodes may both ask, and the voters
 * grant one (ADR 0009). A slot placed elsewhere now is stopped first and its lease released after, so the
 * next holder never overlaps it; a lease that ends (`stop-by`, `kill-by`, `lost`) stops the instance whatever
 * placement says. A dead verdict from membership changes placement, but the new owner starts only once the
 * voters grant it, which is after the old lease ran out by their clocks.
 *
 * A workload with a state dir is `prepare`d between the grant and the start: the host brings the newest
 * state over from the node that ran it last (`from`), and answers `prepared`. The old node keeps its copy,
 * so a crash of either side mid-move loses nothing.
 */

/** A slot's lease resource key: placement's slot key under `w/` (ownership keys share one namespace, ADR 0009). */
export function agentSlotKey (workload: string, index: number): string {
  return `w/${placementSlotKey(workload, index)}`
}

/** `w/<workload>/<index>` back into its parts, or undefined for any other key. */
export function parseAgentSlotKey (key: string): { workload: string, index: number } | undefined {
  const m = /^w\/(.+)\/(\d+)$/.exec(key)
  return m === null ? undefined : { workload: m[1], index: Number(m[2]) }
}

/** What the host must do for the agent. Every command names a slot by its lease key. */
export type AgentCommand =
  /** Ask the voters for the slot's lease (the lease machine retries while another holds it). */
  | { type: 'acquire', key: string }
  /** Give the lease back; sent only once nothing of the slot runs here. */
  | { type: 'release', key: string }
  /** Bring the slot's state here before it starts (from `from`, which ran it last, when known); answer `prepared`. */
  | { type: 'prepare', key: string, workload: string, index: number, epoch: number, from?: NodeId }
  /** Start the instance under lease `epoch`. */
  | { type: 'start', key: string, workload: string, index: number, epoch: number }
  /** Stop it gracefully; answer `stopped` once no process of it is left. */
  | { type: 'stop', key: string }
  /** SIGKILL it now (its lease is over); no answer is needed. */
  | { type: 'kill', key: string }

export type AgentInput =
  /** Compute placement from these inputs and act on this node's slots. */
  | { type: 'reconcile', input: PlacementInput }
  | { type: 'lease', event: LeaseEvent }
  /** The `prepare` of `key` ended: `ok` false means the state could not be had (the slot waits and asks again). */
  | { type: 'prepared', key: string, ok: boolean }
  /** The `stop` of `key` ended: nothing of it runs here. */
  | { type: 'stopped', key: string }

export interface AgentStep {
  commands: AgentCommand[]
  /** The placement this step computed (reconcile only). */
  placement?: Placement
  /** Something changed that placement depends on: the host should reconcile again soon. */
  reconcileSoon: boolean
}

type SlotPhase =
  /** Asked the voters for the lease; nothing runs. */
  | 'acquiring'
  /** Holds the lease; the state is being brought here. Nothing runs yet. */
  | 'preparing'
  /** Holds the lease; the instance was started under `epoch`. */
  | 'running'
  /** Stopping the instance (moved away, or the lease is ending); the lease is released after. */
  | 'stopping'

interface SlotState { phase: SlotPhase, workload: string, index: number, epoch?: number, from?: NodeId }

export interface PlacementAgentInit {
  selfId: NodeId
  /** Whether a workload's instances need their state brought over before they start (it has a state dir). */
  hasState: (workload: string) => boolean
}

export class PlacementAgent {
  private readonly slots = new Map<string, SlotState>()
  /** Slots placed here by the last reconcile, with where they ran before when they moved. */
  private mine = new Map<string, { workload: string, index: number, from?: NodeId }>()

  constructor (private readonly init: PlacementAgentInit) {}

  step (input: AgentInput): AgentStep {
    const out: AgentStep = { commands: [], reconcileSoon: false }
    switch (input.type) {
      case 'reconcile': this.reconcile(input.input, out); break
      case 'lease': this.onLease(input.event, out); break
      case 'prepared': this.onPrepared(input.key, input.ok, out); break
      case 'stopped': this.onStopped(input.key, out); break
    }
    return out
  }

  /** What this agent is doing per slot, for reports and tests. */
  phases (): Map<string, SlotPhase> {
    return new Map([...this.slots].map(([k, s]) => [k, s.phase]))
  }

  private reconcile (input: PlacementInput, out: AgentStep): void {
    const placement = place(input)
    out.placement = placement
    const mine = new Map<string, { workload: string, index: number, from?: NodeId }>()
    for (const s of placement.slots) {
      if (s.status !== 'placed' || s.node !== this.init.selfId) continue
      const key = agentSlotKey(s.workload, s.index)
      // Keep the first `from` seen: once the old copy stops it no longer shows in `current`.
      const from = s.from ?? this.mine.get(key)?.from ?? this.slots.get(key)?.from
      mine.set(key, { workload: s.workload, index: s.index, ...(from === undefined ? {} : { from }) })
    }
    this.mine = mine
    for (const [key, slot] of mine) {
      if (this.slots.has(key)) continue
      this.slots.set(key, { phase: 'acquiring', ...slot })
      out.commands.push({ type: 'acquire', key })
    }
    for (const [key, state] of this.slots) {
      if (mine.has(key)) continue
      if (state.phase === 'acquiring') {
        this.slots.delete(key)
        out.commands.push({ type: 'release', key })
      } else if (state.phase === 'preparing') {
        // Nothing runs yet; the prepare's answer is ignored once the slot is gone.
        this.slots.delete(key)
        out.commands.push({ type: 'release', key })
      } else if (state.phase === 'running') {
        state.phase = 'stopping'
        out.commands.push({ type: 'stop', key })
      }
    }
  }

  private onLease (event: LeaseEvent, out: AgentStep): void {
    if (!('resource' in event) || !event.resource.startsWith('w/')) return
    const key = event.resource
    const state = this.slots.get(key)
    switch (event.type) {
      case 'acquired': {
        if (state === undefined || state.phase !== 'acquiring' || !this.mine.has(key)) {
          // Placement moved on while we asked: give it back at once.
          if (state?.phase === 'acquiring') this.slots.delete(key)
          out.commands.push({ type: 'release', key })
          return
        }
        state.epoch = event.epoch
        if (this.init.hasState(state.workload)) {
          state.phase = 'preparing'
          out.commands.push({ type: 'prepare', key, workload: state.workload, index: state.index, epoch: event.epoch, ...(state.from === undefined ? {} : { from: state.from }) })
        } else {
          state.phase = 'running'
          out.commands.push({ type: 'start', key, workload: state.workload, index: state.index, epoch: event.epoch })
        }
        return
      }
      case 'stop-by':
        if (state?.phase === 'running') {
          state.phase = 'stopping'
          out.commands.push({ type: 'stop', key })
        }
        return
      case 'kill-by':
      case 'lost':
        // Whatever this agent believes runs, make sure nothing does: a kill of nothing costs nothing.
        out.commands.push({ type: 'kill', key })
        this.slots.delete(key)
        // Still ours by placement: ask again (the machine retries while another holds it).
        out.reconcileSoon = true
        return
      default:
    }
  }

  private onPrepared (key: string, ok: boolean, out: AgentStep): void {
    const state = this.slots.get(key)
    if (state?.phase !== 'preparing' || state.epoch === undefined) return
    if (ok) {
      state.phase = 'running'
      out.commands.push({ type: 'start', key, workload: state.workload, index: state.index, epoch: state.epoch })
      return
    }
    // The state is not to be had now (its node is away): hold nothing, and try again on a later reconcile.
    this.slots.delete(key)
    out.commands.push({ type: 'release', key })
  }

  private onStopped (key: string, out: AgentStep): void {
    const state = this.slots.get(key)
    if (state?.phase !== 'stopping') return
    this.slots.delete(key)
    out.commands.push({ type: 'release', key })
    out.reconcileSoon = true
  }
}
