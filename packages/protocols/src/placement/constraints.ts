import type { Constraints, Preference } from './spec.js'
import type { PlacementNode } from './types.js'

/**
 * A node prepared for matching: tags in a set, so a constraint check costs one lookup per required tag
 * whatever the node carries.
 */
export interface NodeFacts {
  node: PlacementNode
  tags: ReadonlySet<string>
}

export function factsOf (node: PlacementNode): NodeFacts {
  return { node, tags: new Set(node.tags) }
}

/** Hard constraints: every present, non-empty list must match (roles: any of; tags: all of; nodes: any name of). */
export function satisfies (c: Constraints, n: NodeFacts): boolean {
  if (c.roles !== undefined && c.roles.length > 0 && !c.roles.includes(n.node.role)) return false
  if (c.tags !== undefined) {
    for (const t of c.tags) if (!n.tags.has(t)) return false
  }
  if (c.nodes !== undefined && c.nodes.length > 0 && !c.nodes.includes(n.node.name)) return false
  return true
}

/**
 * Whether a preference applies to a node. `workload` preferences look at what is booked there already
 * (`instancesOn` of the named workload), so "near the database" or "away from the backups" work.
 */
export function prefers (p: Preference, n: NodeFacts, instancesOn: (workload: string) => number): boolean {
  switch (p.on) {
    case 'role': return n.node.role === p.value
    case 'tag': return n.tags.has(p.value)
    case 'node': return n.node.name === p.value
    case 'workload': return instancesOn(p.value) > 0
  }
}
