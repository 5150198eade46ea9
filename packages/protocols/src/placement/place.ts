import type { NodeId } from '../core/ids.js'
import { satisfies, type NodeFacts } from './constraints.js'
import { byString, canonicalInput, type CanonicalInput } from './inputs.js'
import { Ledger } from './ledger.js'
import { fitScore, preferenceScore, siblingPenalty, tieBreak } from './score.js'
import { slotCount, slotKey, systemSlots } from './slots.js'
import type { Resources, WorkloadSpec } from './spec.js'
import type { MoveRefusal, PendingReason, Placement, PlacementCause, PlacementInput, SlotPlacement } from './types.js'

/** Links of "near W" followed when ordering slots; longer chains are rare enough to place in name order. */
export const MAX_PREFERENCE_CHAIN = 32

/** One slot to fill in this pass. */
interface Slot {
  spec: WorkloadSpec
  index: number
  key: string
  /** How many slots its workload has (for the sibling penalty). */
  instances: number
  /** A system slot's node: it runs there or nowhere. */
  node?: NodeId
}

/** Why a slot cannot stay where it runs, or undefined when it can. */
type Eviction = Exclude<PlacementCause, 'kept' | 'new' | 'moved'>

/**
 * Places every slot of every workload (docs/adr/0010-deterministic-placement.md). A pure function of its
 * input: every node runs it on the same desired state and live members and gets the same answer, whatever
 * order they hold them in, so no leader is needed to decide. Leases (not this function) still guard
 * singletons while views differ.
 *
 * The pass, in O(slots × nodes):
 * 1. keep every running instance whose node is live, undrained, still satisfies its constraints and still
 *    has room (stability: a better node appearing moves nothing);
 * 2. carry out move requests whose target can take the slot;
 * 3. place the rest (system slots first, then the largest requests first): a stateful slot on the node with
 *    its newest state if that node may take it, else each on the best-scoring node that satisfies its
 *    constraints and has room, ties broken by a hash of (slot, node).
 * Requested resources are booked as it goes, so no node is ever over capacity.
 */
export function place (input: PlacementInput): Placement {
  const inp = canonicalInput(input)
  return new Pass(inp).run()
}

class Pass {
  private readonly ledger: Ledger
  private readonly nodeById = new Map<NodeId, NodeFacts>()
  /** Per workload: the live, undrained nodes that satisfy its constraints, in id order. */
  private readonly eligible = new Map<string, NodeFacts[]>()
  private readonly out = new Map<string, SlotPlacement>()
  private readonly refusedMoves: Placement['refusedMoves'] = []

  constructor (private readonly inp: CanonicalInput) {
    this.ledger = new Ledger(inp.nodes.map((n) => n.node))
    for (const n of inp.nodes) this.nodeById.set(n.node.id, n)
    // Many specs share their constraints (none, or "servers only"): filter the nodes once per distinct set.
    const byConstraints = new Map<string, NodeFacts[]>()
    for (const spec of inp.specs) {
      const key = JSON.stringify(spec.constraints)
      let eligible = byConstraints.get(key)
      if (eligible === undefined) {
        eligible = inp.nodes.filter((n) => n.node.draining !== true && satisfies(spec.constraints, n))
        byConstraints.set(key, eligible)
      }
      this.eligible.set(spec.name, eligible)
    }
  }

  run (): Placement {
    const slots = this.expand()
    const later: Array<{ slot: Slot, cause: PlacementCause, from?: NodeId }> = []
    const withMoves: Slot[] = []

    const keys = new Set(slots.map((s) => s.key))
    const unknownMoves = [...this.inp.moves.entries()].filter(([key]) => !keys.has(key)).sort(([a], [b]) => byString(a, b))
    for (const [, move] of unknownMoves) this.refusedMoves.push({ move, reason: 'no-such-slot' })

    // 1. Keep what runs and may stay.
    for (const slot of slots) {
      const move = this.inp.moves.get(slot.key)
      const here = this.inp.current.get(slot.key) ?? []
      if (move !== undefined && !here.includes(move.to)) { withMoves.push(slot); continue }
      this.keepOrDefer(slot, later)
    }

    // 2. Moves, in slot order, each to its target if the target can take it.
    for (const slot of withMoves) {
      const move = this.inp.moves.get(slot.key)
      if (move === undefined) continue
      const refusal = this.refuseTarget(slot, move.to)
      if (refusal === undefined) {
        this.book(slot, move.to, 'moved', this.inp.current.get(slot.key)?.[0])
      } else {
        this.refusedMoves.push({ move, reason: refusal })
        this.keepOrDefer(slot, later)
      }
    }

    // 3. Everything else: system slots (one choice each) first, then workloads before those that prefer to be
    //    near or away from them, then the largest requests (first fit decreasing).
    const depth = preferenceDepths(this.inp.specs)
    later.sort((a, b) => order(a.slot, b.slot, depth))
    for (const { slot, cause, from } of later) this.placeOne(slot, cause, from)

    const slotsOut = [...this.out.values()].sort((a, b) => byString(a.workload, b.workload) || a.index - b.index)
    const booked = this.inp.nodes.map((n) => ({ node: n.node.id, used: this.ledger.usedOn(n.node.id) }))
    return { slots: slotsOut, refusedMoves: this.refusedMoves, problems: this.inp.problems, booked }
  }

  /** Every slot of every workload, in (workload, index) order. */
  private expand (): Slot[] {
    const slots: Slot[] = []
    for (const spec of this.inp.specs) {
      if (spec.kind === 'system') {
        const eligible = this.eligible.get(spec.name) ?? []
        const held = this.heldIndexes().get(spec.name) ?? new Map<NodeId, number[]>()
        const chosen = systemSlots(eligible.map((n) => n.node.id), (node) => held.get(node) ?? [])
        chosen.sort((a, b) => a.index - b.index)
        for (const { node, index } of chosen) slots.push({ spec, index, key: slotKey(spec.name, index), instances: chosen.length, node })
      } else {
        const n = slotCount(spec, this.inp.scale.get(spec.name))
        for (let index = 0; index < n; index++) slots.push({ spec, index, key: slotKey(spec.name, index), instances: n })
      }
    }
    return slots
  }

  private held?: Map<string, Map<NodeId, number[]>>

  /** Workload → node → the slot indexes it runs now; built once, for system slots. */
  private heldIndexes (): Map<string, Map<NodeId, number[]>> {
    if (this.held !== undefined) return this.held
    const held = new Map<string, Map<NodeId, number[]>>()
    for (const [key, nodes] of this.inp.current) {
      const slash = key.lastIndexOf('/')
      const workload = key.slice(0, slash)
      const byNode = held.get(workload) ?? new Map<NodeId, number[]>()
      for (const node of nodes) byNode.set(node, [...(byNode.get(node) ?? []), Number(key.slice(slash + 1))])
      held.set(workload, byNode)
    }
    this.held = held
    return held
  }

  /** Keeps the slot on a node that runs it and may go on running it, or queues it for placement with the reason it moved. */
  private keepOrDefer (slot: Slot, later: Array<{ slot: Slot, cause: PlacementCause, from?: NodeId }>): void {
    const here = (this.inp.current.get(slot.key) ?? []).filter((n) => slot.node === undefined || n === slot.node)
    // Of several copies, the one a move asks for is tried first; the rest in id order.
    const to = this.inp.moves.get(slot.key)?.to
    if (to !== undefined && here.includes(to)) here.sort((a, b) => Number(b === to) - Number(a === to))
    let first: Eviction | undefined
    for (const node of here) {
      const eviction = this.evictionFrom(slot, node)
      if (eviction === undefined) {
        this.book(slot, node, 'kept')
        return
      }
      first ??= eviction
    }
    if (first === undefined) { later.push({ slot, cause: 'new' }); return }
    if (slot.spec.kind === 'vm' && first === 'node-lost') {
      // A guest's disk lives on its node: it waits for that node (or a move), it is not failed over.
      this.pending(slot, 'vm-node-lost', `its node ${here[0]} is gone; a guest is not failed over: move it, or it returns with its node`, here[0])
      return
    }
    later.push({ slot, cause: first, from: here[0] })
  }

  private evictionFrom (slot: Slot, node: NodeId): Eviction | undefined {
    const n = this.nodeById.get(node)
    if (n === undefined) return 'node-lost'
    if (n.node.draining === true) return 'node-draining'
    if (!satisfies(slot.spec.constraints, n)) return 'constraints-changed'
    if (this.ledger.instancesOn(node, slot.spec.name) >= this.maxPerNode(slot)) return 'constraints-changed'
    if (!this.ledger.fits(node, slot.spec.resources)) return 'over-capacity'
    return undefined
  }

  private refuseTarget (slot: Slot, to: NodeId): MoveRefusal | undefined {
    if (slot.node !== undefined) return 'system-slot'
    const n = this.nodeById.get(to)
    if (n === undefined) return 'unknown-node'
    if (n.node.draining === true) return 'node-draining'
    if (!satisfies(slot.spec.constraints, n)) return 'constraints'
    if (this.ledger.instancesOn(to, slot.spec.name) >= this.maxPerNode(slot)) return 'per-node-limit'
    if (!this.ledger.fits(to, slot.spec.resources)) return 'insufficient-capacity'
    return undefined
  }

  private placeOne (slot: Slot, cause: PlacementCause, from: NodeId | undefined): void {
    const req = slot.spec.resources
    if (slot.node !== undefined) {
      if (this.ledger.fits(slot.node, req)) this.book(slot, slot.node, cause)
      else this.pending(slot, 'insufficient-capacity', `${slot.node} has ${free(this.ledger.capacityOf(slot.node), this.ledger.usedOn(slot.node))} free; it asks for ${amount(req)}`, slot.node)
      return
    }
    const eligible = this.eligible.get(slot.spec.name) ?? []
    // A stateful slot goes back to where its newest state is, when that node may take it (no transfer).
    const home = this.inp.stateHomes.get(slot.key)
    if (home !== undefined && eligible.some((n) => n.node.id === home) && this.ledger.instancesOn(home, slot.spec.name) < this.maxPerNode(slot) && this.ledger.fits(home, req)) {
      this.book(slot, home, cause, from)
      return
    }
    let best: NodeId | undefined
    let bestScore = -Infinity
    let bestTie = 0
    let underLimit = 0
    const hasPreferences = slot.spec.affinity.length + slot.spec.antiAffinity.length > 0
    for (const n of eligible) {
      const id = n.node.id
      const siblings = this.ledger.instancesOn(id, slot.spec.name)
      if (siblings >= this.maxPerNode(slot)) continue
      underLimit++
      if (!this.ledger.fits(id, req)) continue
      let score = fitScore(this.inp.scoring, n.node.capacity, this.ledger.usedWith(id, req)) + siblingPenalty(siblings, slot.instances)
      if (hasPreferences) score += preferenceScore(slot.spec, n, (w) => this.ledger.instancesOn(id, w))
      if (score < bestScore) continue
      if (score === bestScore) {
        // Equal scores: the hash of (slot, node) decides, then the id, never the input's order.
        const tie = tieBreak(slot.key, id)
        if (tie < bestTie || (tie === bestTie && best !== undefined && id > best)) continue
        bestTie = tie
      } else {
        bestTie = tieBreak(slot.key, id)
      }
      best = id
      bestScore = score
    }
    if (best !== undefined) { this.book(slot, best, cause, from); return }
    const total = this.inp.nodes.length
    if (eligible.length === 0) {
      this.pending(slot, 'no-matching-node', `none of ${total} live, undrained nodes satisfies its constraints`)
    } else if (underLimit === 0) {
      this.pending(slot, 'per-node-limit', `the ${eligible.length} matching nodes already run ${this.maxPerNode(slot)} of its instances each`)
    } else {
      this.pending(slot, 'insufficient-capacity', `${eligible.length} of ${total} nodes match its constraints; none of the ${underLimit} that may take another instance has ${amount(req)} free`)
    }
  }

  private maxPerNode (slot: Slot): number {
    // Singletons and system slots have one instance (per node) by construction; only replicas need the bound.
    return slot.spec.maxPerNode ?? Number.POSITIVE_INFINITY
  }

  private book (slot: Slot, node: NodeId, cause: PlacementCause, from?: NodeId): void {
    this.ledger.book(node, slot.spec.name, slot.spec.resources)
    const placed: SlotPlacement = { workload: slot.spec.name, index: slot.index, kind: slot.spec.kind, status: 'placed', node, cause }
    if (from !== undefined && from !== node) placed.from = from
    this.out.set(slot.key, placed)
  }

  private pending (slot: Slot, reason: PendingReason, detail: string, node?: NodeId): void {
    const p: SlotPlacement = { workload: slot.spec.name, index: slot.index, kind: slot.spec.kind, status: 'pending', reason, detail }
    if (node !== undefined) p.node = node
    this.out.set(slot.key, p)
  }
}

/**
 * System slots first (they have one possible node), then by preference depth (so "near db" sees where db
 * went), then larger requests, then slot order.
 */
function order (a: Slot, b: Slot, depth: ReadonlyMap<string, number>): number {
  const sys = Number(b.node !== undefined) - Number(a.node !== undefined)
  if (sys !== 0) return sys
  const d = (depth.get(a.spec.name) ?? 0) - (depth.get(b.spec.name) ?? 0)
  if (d !== 0) return d
  const mem = b.spec.resources.memoryBytes - a.spec.resources.memoryBytes
  if (mem !== 0) return mem
  const cpu = b.spec.resources.cpuMillis - a.spec.resources.cpuMillis
  if (cpu !== 0) return cpu
  return byString(a.spec.name, b.spec.name) || a.index - b.index
}

function amount (r: Resources): string {
  return `${r.cpuMillis} mCPU and ${r.memoryBytes} bytes`
}

function free (capacity: Resources, used: Resources): string {
  return amount({ cpuMillis: capacity.cpuMillis - used.cpuMillis, memoryBytes: capacity.memoryBytes - used.memoryBytes })
}

/**
 * How many `workload` preferences deep each workload sits: 0 without any, else one more than the deepest
 * workload it names. A cycle is cut where the walk (in name order, so the same everywhere) meets it again,
 * and a chain after MAX_PREFERENCE_CHAIN links, which bounds the recursion whatever the desired state holds.
 */
function preferenceDepths (specs: readonly WorkloadSpec[]): Map<string, number> {
  const byName = new Map(specs.map((s) => [s.name, s]))
  const depth = new Map<string, number>()
  const onPath = new Set<string>()
  const visit = (name: string): number => {
    const known = depth.get(name)
    if (known !== undefined) return known
    const spec = byName.get(name)
    if (spec === undefined || onPath.has(name) || onPath.size >= MAX_PREFERENCE_CHAIN) return 0
    onPath.add(name)
    let d = 0
    for (const p of [...spec.affinity, ...spec.antiAffinity]) {
      if (p.on === 'workload' && p.value !== name) d = Math.max(d, visit(p.value) + 1)
    }
    onPath.delete(name)
    depth.set(name, d)
    return d
  }
  for (const s of specs) visit(s.name)
  return depth
}
