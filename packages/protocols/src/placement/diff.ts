import type { NodeId } from '../core/ids.js'
import { byString } from './inputs.js'
import { slotKey } from './slots.js'
import type { Assignment, Placement } from './types.js'

/** What the agents must do to get from one placement to the next. */
export interface PlacementChanges {
  /** Slots that ran nowhere and now run on `node`. */
  starts: Assignment[]
  /** Instances to stop: their slot is gone, pending, or runs elsewhere too (a duplicate). */
  stops: Assignment[]
  /** Slots that run on `to` now instead of `from` (stop there, start here, carrying state if it has any). */
  moves: Array<{ workload: string, index: number, from: NodeId, to: NodeId }>
}

/** The placed slots of a placement, as assignments (what to feed back as `current` once they run). */
export function assignmentsOf (p: Placement): Assignment[] {
  const out: Assignment[] = []
  for (const s of p.slots) if (s.status === 'placed') out.push({ workload: s.workload, index: s.index, node: s.node })
  return out
}

/**
 * What to give the next pass as `current` while nothing newer has been observed: the placed slots, and the
 * home of each guest that waits for its lost node (without it, the next pass would start the guest afresh
 * elsewhere, which is exactly the failover a `vm` must not get).
 */
export function carryForward (p: Placement): Assignment[] {
  const out: Assignment[] = []
  for (const s of p.slots) {
    if (s.status === 'placed') out.push({ workload: s.workload, index: s.index, node: s.node })
    else if (s.reason === 'vm-node-lost' && s.node !== undefined) out.push({ workload: s.workload, index: s.index, node: s.node })
  }
  return out
}

/**
 * The starts, stops and moves between `before` (what runs, or an earlier placement's assignments) and
 * `after`. A slot that ran on several nodes keeps the copy on its new node if there is one, else moves from
 * the lowest node id; the other copies are stopped. Every list comes out in (workload, index, node) order.
 */
export function placementChanges (before: Iterable<Assignment>, after: Iterable<Assignment>): PlacementChanges {
  const was = new Map<string, Assignment[]>()
  for (const a of before) {
    const key = slotKey(a.workload, a.index)
    const list = was.get(key) ?? []
    if (!list.some((b) => b.node === a.node)) list.push(a)
    was.set(key, list)
  }
  const changes: PlacementChanges = { starts: [], stops: [], moves: [] }
  const seen = new Set<string>()
  for (const a of after) {
    const key = slotKey(a.workload, a.index)
    if (seen.has(key)) continue
    seen.add(key)
    const old = [...(was.get(key) ?? [])].sort((x, y) => byString(x.node, y.node))
    if (old.length === 0) {
      changes.starts.push({ workload: a.workload, index: a.index, node: a.node })
      continue
    }
    const stay = old.find((o) => o.node === a.node)
    const from = stay ?? old[0]
    if (stay === undefined) changes.moves.push({ workload: a.workload, index: a.index, from: from.node, to: a.node })
    for (const o of old) if (o !== from) changes.stops.push({ workload: o.workload, index: o.index, node: o.node })
  }
  for (const [key, old] of was) {
    if (seen.has(key)) continue
    for (const o of old) changes.stops.push({ workload: o.workload, index: o.index, node: o.node })
  }
  const bySlot = (x: { workload: string, index: number }, y: { workload: string, index: number }): number => byString(x.workload, y.workload) || x.index - y.index
  changes.starts.sort(bySlot)
  changes.moves.sort(bySlot)
  changes.stops.sort((x, y) => bySlot(x, y) || byString(x.node, y.node))
  return changes
}
