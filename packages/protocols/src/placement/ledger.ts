import type { NodeId } from '../core/ids.js'
import type { Resources } from './spec.js'

/**
 * What placement has booked on each node so far in one pass: requested resources and instances per
 * workload. Only requests are counted (never sampled usage), so the same specs give the same bookings on
 * every node and from one second to the next.
 */
export class Ledger {
  private readonly capacity = new Map<NodeId, Resources>()
  private readonly used = new Map<NodeId, Resources>()
  private readonly instances = new Map<NodeId, Map<string, number>>()

  constructor (nodes: Iterable<{ id: NodeId, capacity: Resources }>) {
    for (const n of nodes) {
      this.capacity.set(n.id, n.capacity)
      this.used.set(n.id, { cpuMillis: 0, memoryBytes: 0 })
      this.instances.set(n.id, new Map())
    }
  }

  /** Whether `request` fits on `node` on top of what is booked. */
  fits (node: NodeId, request: Resources): boolean {
    const cap = this.capacity.get(node)
    const used = this.used.get(node)
    if (cap === undefined || used === undefined) return false
    return used.cpuMillis + request.cpuMillis <= cap.cpuMillis && used.memoryBytes + request.memoryBytes <= cap.memoryBytes
  }

  /** What `node` would have booked with `request` added. */
  usedWith (node: NodeId, request: Resources): Resources {
    const used = this.used.get(node) ?? { cpuMillis: 0, memoryBytes: 0 }
    return { cpuMillis: used.cpuMillis + request.cpuMillis, memoryBytes: used.memoryBytes + request.memoryBytes }
  }

  capacityOf (node: NodeId): Resources {
    return this.capacity.get(node) ?? { cpuMillis: 0, memoryBytes: 0 }
  }

  usedOn (node: NodeId): Resources {
    const used = this.used.get(node) ?? { cpuMillis: 0, memoryBytes: 0 }
    return { ...used }
  }

  /** Instances of `workload` booked on `node`. */
  instancesOn (node: NodeId, workload: string): number {
    return this.instances.get(node)?.get(workload) ?? 0
  }

  book (node: NodeId, workload: string, request: Resources): void {
    const used = this.used.get(node)
    const counts = this.instances.get(node)
    if (used === undefined || counts === undefined) return
    used.cpuMillis += request.cpuMillis
    used.memoryBytes += request.memoryBytes
    counts.set(workload, (counts.get(workload) ?? 0) + 1)
  }
}
