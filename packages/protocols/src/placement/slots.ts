import { fnv1a32 } from '../core/ids.js'
import type { NodeId } from '../core/ids.js'
import type { WorkloadSpec } from './spec.js'

/**
 * Slots: the instances a workload should have. A slot is (workload, index); its key `workload/index` also
 * names its lease ("w/web/0"). Indexes are what keep placement stable: a replica keeps its index for as long
 * as it exists, and scaling down removes the highest ones.
 */

/** Positions of a system slot's probe chain a current assignment may claim (collisions of 32-bit hashes are rare). */
export const MAX_SYSTEM_INDEX_PROBES = 8

/** `workload/index`. Names are DNS labels, so the key is unambiguous. */
export function slotKey (workload: string, index: number): string {
  return `${workload}/${index}`
}

/**
 * The index of a system workload's slot on a node: a hash of the node id, so it is the same on every node,
 * whatever else joins or leaves. Two ids that collide are told apart by `systemSlots`.
 */
export function systemSlotIndex (nodeId: NodeId): number {
  return fnv1a32(nodeId)
}

/** How many slots a non-system workload has, given its spec and, for cluster-aware ones, the requested scale. */
export function slotCount (spec: WorkloadSpec, scaled: number | undefined): number {
  switch (spec.kind) {
    case 'service':
    case 'vm':
      return 1
    case 'replicated':
      return spec.replicas ?? 1
    case 'cluster-aware': {
      const min = spec.minInstances ?? 0
      const max = spec.maxInstances ?? min
      return Math.min(Math.max(scaled ?? min, min), max)
    }
    case 'system':
      return 0
  }
}

/**
 * The slots of a system workload: one per eligible node (given in id order), indexed by `systemSlotIndex`.
 * A node that already runs an index on its probe chain keeps it (`currentIndexOf`), so even a hash
 * collision never renames a running slot; the others take the first free index of their chain.
 */
export function systemSlots (eligible: readonly NodeId[], currentIndexesOf: (node: NodeId) => readonly number[]): Array<{ node: NodeId, index: number }> {
  const taken = new Set<number>()
  const chosen = new Map<NodeId, number>()
  for (const node of eligible) {
    const chain = probeChain(node, MAX_SYSTEM_INDEX_PROBES)
    const held = currentIndexesOf(node).filter((i) => chain.includes(i) && !taken.has(i)).sort((a, b) => chain.indexOf(a) - chain.indexOf(b))
    if (held.length > 0) {
      taken.add(held[0])
      chosen.set(node, held[0])
    }
  }
  for (const node of eligible) {
    if (chosen.has(node)) continue
    let index = systemSlotIndex(node)
    while (taken.has(index)) index = (index + 1) >>> 0
    taken.add(index)
    chosen.set(node, index)
  }
  return eligible.map((node) => ({ node, index: chosen.get(node) as number }))
}

function probeChain (node: NodeId, length: number): number[] {
  const first = systemSlotIndex(node)
  return Array.from({ length }, (_, i) => (first + i) >>> 0)
}
