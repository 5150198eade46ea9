import { MAX_NODE_ID_BYTES, type NodeId } from '../core/ids.js'
import { factsOf, type NodeFacts } from './constraints.js'
import { slotKey } from './slots.js'
import type { WorkloadSpec } from './spec.js'
import type { InputProblem, MoveRequest, PlacementInput, Scoring } from './types.js'

/**
 * The placement input made canonical: sorted by key, duplicates and malformed entries taken out and reported.
 * After this nothing depends on the order the caller listed things in, which is half of determinism (the
 * other half is that ties are broken by hash, in score.ts).
 */
export interface CanonicalInput {
  specs: WorkloadSpec[]
  nodes: NodeFacts[]
  /** Slot key → the nodes that run it now, in id order (more than one only in a split brain or a stale view). */
  current: Map<string, NodeId[]>
  moves: Map<string, MoveRequest>
  /** Cluster-aware workload → requested instances, already clamped into min..max. */
  scale: Map<string, number>
  /** Slot key → the node with its newest state (of two for one slot, the lower id: a bad input, reported). */
  stateHomes: Map<string, NodeId>
  scoring: Scoring
  problems: InputProblem[]
}

/** Code-unit order: the same on every machine, unlike localeCompare. */
export function byString (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

export function canonicalInput (input: PlacementInput): CanonicalInput {
  const problems: InputProblem[] = []
  const specs = uniqueBy(input.specs, (s) => s.name, 'spec', problems)
  const nodes = uniqueBy(input.nodes.filter((n) => validNode(n, problems)), (n) => n.id, 'node', problems).map(factsOf)
  const specByName = new Map(specs.map((s) => [s.name, s]))

  const current = new Map<string, NodeId[]>()
  for (const a of input.current ?? []) {
    if (!validSlotRef(a.workload, a.index) || typeof a.node !== 'string') {
      problems.push({ input: 'current', key: String(a.workload), reason: 'invalid', detail: 'an assignment needs a workload, a whole index and a node' })
      continue
    }
    const key = slotKey(a.workload, a.index)
    const list = current.get(key) ?? []
    if (!list.includes(a.node)) list.push(a.node)
    current.set(key, list)
  }
  for (const [key, list] of current) {
    list.sort(byString)
    if (list.length > 1) problems.push({ input: 'current', key, reason: 'duplicate', detail: `runs on ${list.length} nodes; at most one is kept` })
  }

  const stateHomes = new Map<string, NodeId>()
  for (const h of input.stateHomes ?? []) {
    if (!validSlotRef(h.workload, h.index) || typeof h.node !== 'string') {
      problems.push({ input: 'state-home', key: String(h.workload), reason: 'invalid', detail: 'a state home needs a workload, a whole index and a node' })
      continue
    }
    // A workload without a state dir has no state to go back to (a home left from an earlier spec of it).
    if (specByName.get(h.workload)?.stateDir === undefined) continue
    const key = slotKey(h.workload, h.index)
    const seen = stateHomes.get(key)
    if (seen !== undefined && seen !== h.node) problems.push({ input: 'state-home', key, reason: 'duplicate', detail: `two homes (${seen}, ${h.node}); the lower id is kept` })
    if (seen === undefined || byString(h.node, seen) < 0) stateHomes.set(key, h.node)
  }

  const moves = new Map<string, MoveRequest>()
  const conflicting = new Set<string>()
  for (const m of input.moves ?? []) {
    if (!validSlotRef(m.workload, m.index) || typeof m.to !== 'string') {
      problems.push({ input: 'move', key: String(m.workload), reason: 'invalid', detail: 'a move needs a workload, a whole index and a target node' })
      continue
    }
    const key = slotKey(m.workload, m.index)
    const seen = moves.get(key)
    if (seen !== undefined && seen.to !== m.to) conflicting.add(key)
    moves.set(key, { workload: m.workload, index: m.index, to: m.to })
  }
  for (const key of conflicting) {
    moves.delete(key)
    problems.push({ input: 'move', key, reason: 'duplicate', detail: 'moves to different nodes; none is carried out' })
  }

  const scale = new Map<string, number>()
  const scaleConflicts = new Set<string>()
  for (const s of input.scale ?? []) {
    const spec = typeof s.workload === 'string' ? specByName.get(s.workload) : undefined
    if (spec === undefined) {
      problems.push({ input: 'scale', key: String(s.workload), reason: 'unknown-workload', detail: 'no such workload' })
      continue
    }
    if (spec.kind !== 'cluster-aware' || !Number.isInteger(s.instances) || s.instances < 0) {
      problems.push({ input: 'scale', key: spec.name, reason: 'invalid', detail: 'only a cluster-aware workload scales, to a whole number of instances' })
      continue
    }
    const min = spec.minInstances ?? 0
    const max = spec.maxInstances ?? min
    const clamped = Math.min(Math.max(s.instances, min), max)
    if (clamped !== s.instances) problems.push({ input: 'scale', key: spec.name, reason: 'clamped', detail: `${s.instances} is outside ${min}..${max}; runs ${clamped}` })
    const seen = scale.get(spec.name)
    if (seen !== undefined && seen !== clamped) scaleConflicts.add(spec.name)
    scale.set(spec.name, clamped)
  }
  for (const name of scaleConflicts) {
    scale.delete(name)
    problems.push({ input: 'scale', key: name, reason: 'duplicate', detail: 'asked for different counts; runs its minimum' })
  }

  problems.sort((a, b) => byString(a.input, b.input) || byString(a.key, b.key) || byString(a.reason, b.reason) || byString(a.detail, b.detail))
  return { specs, nodes, current, moves, scale, stateHomes, scoring: input.scoring === 'spread' ? 'spread' : 'binpack', problems }
}

/** Sorted by key; a key that appears more than once is dropped altogether, since no copy is more right than another. */
function uniqueBy<T> (items: readonly T[], keyOf: (t: T) => string, input: InputProblem['input'], problems: InputProblem[]): T[] {
  const count = new Map<string, number>()
  for (const t of items) count.set(keyOf(t), (count.get(keyOf(t)) ?? 0) + 1)
  const out: T[] = []
  for (const t of items) {
    const n = count.get(keyOf(t)) ?? 0
    if (n === 1) out.push(t)
  }
  for (const [key, n] of count) {
    if (n > 1) problems.push({ input, key, reason: 'duplicate', detail: `listed ${n} times; left out` })
  }
  return out.sort((a, b) => byString(keyOf(a), keyOf(b)))
}

function validNode (n: PlacementInput['nodes'][number], problems: InputProblem[]): boolean {
  const ok = typeof n === 'object' && n !== null &&
    typeof n.id === 'string' && n.id !== '' && n.id.length <= MAX_NODE_ID_BYTES &&
    typeof n.name === 'string' && (n.role === 'server' || n.role === 'client') &&
    Array.isArray(n.tags) && n.tags.every((t) => typeof t === 'string') &&
    typeof n.capacity === 'object' && n.capacity !== null &&
    isAmount(n.capacity.cpuMillis) && isAmount(n.capacity.memoryBytes)
  if (!ok) problems.push({ input: 'node', key: String(n?.id), reason: 'invalid', detail: 'a node needs an id, a name, a role, tags and a finite capacity' })
  return ok
}

function isAmount (v: unknown): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
}

function validSlotRef (workload: unknown, index: unknown): boolean {
  return typeof workload === 'string' && Number.isSafeInteger(index) && (index as number) >= 0
}
