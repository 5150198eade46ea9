import { fnv1a32, mix32 } from '../core/ids.js'
import { prefers, type NodeFacts } from './constraints.js'
import type { Resources, WorkloadSpec } from './spec.js'
import type { Scoring } from './types.js'

/*
 * Scores use only +, −, × and ÷, which IEEE 754 rounds the same way on every machine; Math.pow or Math.exp
 * (Nomad's fit uses 10^x) may differ in the last bit between engines, and two nodes that disagree by one bit
 * on a tie would place a singleton twice. See docs/adr/0010-deterministic-placement.md.
 */

/**
 * How well a request fits a node, in [0, 1]: the node's mean utilisation after placing it (binpack: fuller
 * is better) or one minus that (spread). A dimension the node has none of counts as full.
 */
export function fitScore (scoring: Scoring, capacity: Resources, usedAfter: Resources): number {
  const cpu = capacity.cpuMillis > 0 ? usedAfter.cpuMillis / capacity.cpuMillis : 1
  const mem = capacity.memoryBytes > 0 ? usedAfter.memoryBytes / capacity.memoryBytes : 1
  const utilisation = (cpu + mem) / 2
  return scoring === 'binpack' ? utilisation : 1 - utilisation
}

/**
 * Soft preferences, in [−1, 1]: matched affinity weights minus matched anti-affinity weights, over the sum of
 * all weights (Nomad normalises affinities the same way). Zero for a spec without preferences.
 */
export function preferenceScore (spec: WorkloadSpec, n: NodeFacts, instancesOn: (workload: string) => number): number {
  let total = 0
  let matched = 0
  for (const p of spec.affinity) {
    total += p.weight
    if (prefers(p, n, instancesOn)) matched += p.weight
  }
  for (const p of spec.antiAffinity) {
    total += p.weight
    if (prefers(p, n, instancesOn)) matched -= p.weight
  }
  return total === 0 ? 0 : matched / total
}

/**
 * Replicas already on the node, as a penalty in [−1, 0] (Nomad's job anti-affinity): with `maxPerNode` above
 * one, instances still prefer distinct nodes while there are any.
 */
export function siblingPenalty (siblingsOnNode: number, instances: number): number {
  return siblingsOnNode === 0 ? 0 : -siblingsOnNode / Math.max(instances, 1)
}

/**
 * The tie breaker between equal scores: a stable hash of (slot, node). It never depends on the order of
 * the input, and different slots prefer different nodes among equals, so singletons spread over identical
 * empty servers instead of piling onto the first id.
 */
export function tieBreak (slotKey: string, nodeId: string): number {
  return mix32(fnv1a32(nodeId, fnv1a32(slotKey)))
}
