import type { NodeId } from '../core/ids.js'
import type { MemberRole } from '../membership/types.js'
import type { Resources, WorkloadKind, WorkloadSpec } from './spec.js'

/** A live member as placement sees it: who it is, what it offers, and whether it is being emptied. */
export interface PlacementNode {
  id: NodeId
  /** The member's name, which `constraints.nodes` and `node` preferences name. */
  name: string
  role: MemberRole
  tags: string[]
  /** What may be booked on it, in requested resources. */
  capacity: Resources
  /** Being drained: nothing new goes there and what runs there moves away. */
  draining?: boolean
}

/** One instance of a workload: slot `index` of `workload`, on `node`. */
export interface Assignment {
  workload: string
  index: number
  node: NodeId
}

/** `move W --to node`: run slot `index` (0 for a singleton) of `workload` on `to`. Stays in force until removed. */
export interface MoveRequest {
  workload: string
  index: number
  to: NodeId
}

/** `scale W N`: how many instances a cluster-aware workload should run (clamped into its min..max). */
export interface ScaleRequest {
  workload: string
  instances: number
}

/**
 * How to choose among nodes that fit (Nomad's two algorithms): `binpack` fills the busiest node that still
 * fits, so whole servers stay empty and may sleep; `spread` picks the emptiest.
 */
export type Scoring = 'binpack' | 'spread'

/** Everything placement depends on. Every node holds the same input, so every node computes the same placement. */
export interface PlacementInput {
  /** Desired state: validated specs, unique by name (the order does not matter). */
  specs: readonly WorkloadSpec[]
  /** Live members (alive or suspect); a member missing here is dead or gone. The order does not matter. */
  nodes: readonly PlacementNode[]
  /** Where instances run now; for a `vm` whose node was lost, where it last ran. */
  current?: readonly Assignment[]
  moves?: readonly MoveRequest[]
  scale?: readonly ScaleRequest[]
  /**
   * Where each stateful slot's newest state is (the node that last started it). A slot placed anew goes
   * there when that node can take it: it starts at once, with no transfer, and nodes whose views of the
   * others differ for a while still agree on it (ADR 0015). Homes of workloads without a state dir are ignored.
   */
  stateHomes?: readonly Assignment[]
  /** @default 'binpack' */
  scoring?: Scoring
}

/** Why a slot sits on its node. */
export type PlacementCause =
  /** It ran there and still may. */
  | 'kept'
  /** It was not running anywhere. */
  | 'new'
  /** Its node died or left. */
  | 'node-lost'
  /** Its node is draining. */
  | 'node-draining'
  /** Its node no longer satisfies its constraints (or holds more of its instances than `maxPerNode` allows). */
  | 'constraints-changed'
  /** Its node no longer has room for its request. */
  | 'over-capacity'
  /** A move request sent it there. */
  | 'moved'

/** Why a slot has no node. */
export type PendingReason =
  /** No live, undrained node satisfies the hard constraints. */
  | 'no-matching-node'
  /** Some nodes match, none has the requested resources free. */
  | 'insufficient-capacity'
  /** Every matching node already runs `maxPerNode` instances of this workload. */
  | 'per-node-limit'
  /** A guest's node was lost; guests are not failed over (their disk is there): it waits, or a move sends it on. */
  | 'vm-node-lost'

interface SlotBase {
  workload: string
  index: number
  kind: WorkloadKind
}

export interface PlacedSlot extends SlotBase {
  status: 'placed'
  node: NodeId
  cause: PlacementCause
  /** Where it ran before, when it moved. */
  from?: NodeId
}

export interface PendingSlot extends SlotBase {
  status: 'pending'
  reason: PendingReason
  /** A sentence for the user: what matched and what was missing. */
  detail: string
  /** A system slot's node, or a lost guest's home. */
  node?: NodeId
}

export type SlotPlacement = PlacedSlot | PendingSlot

/** Why a move request was not carried out. */
export type MoveRefusal = 'no-such-slot' | 'system-slot' | 'unknown-node' | 'node-draining' | 'constraints' | 'insufficient-capacity' | 'per-node-limit'

/** An input entry placement could not use; it is left out and reported, never thrown. */
export interface InputProblem {
  input: 'spec' | 'node' | 'current' | 'move' | 'scale' | 'state-home'
  /** The spec name, node id or slot it concerns. */
  key: string
  reason: 'duplicate' | 'invalid' | 'unknown-workload' | 'no-such-slot' | 'clamped'
  detail: string
}

/** The result: every slot of every workload, placed or pending, in (workload, index) order. */
export interface Placement {
  slots: SlotPlacement[]
  refusedMoves: Array<{ move: MoveRequest, reason: MoveRefusal }>
  problems: InputProblem[]
  /** Requested resources booked on each live node, in node id order (what power policy reads). */
  booked: Array<{ node: NodeId, used: Resources }>
}
