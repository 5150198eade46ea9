import { Counter, Gauge, type Registry } from 'prom-client'
import type { MemberView } from '@dreammesh/protocols'

/** What the node's metrics read when Prometheus scrapes (so nothing is computed between scrapes). */
export interface NodeMetricsSource {
  members: () => MemberView[]
  membershipCounters: () => Record<string, number>
  resourceStats: () => { published: number, offered: number, sampleErrors: number, publishedBy: ReadonlyMap<string, number> } | undefined
}

/**
 * The node's own metrics, next to libp2p's in one registry (served at `/metrics`):
 * - `dreammesh_members{state}`: members this node knows, by state (itself not counted);
 * - `dreammesh_membership_events{counter}`: membership's own counters (probes, suspicions, syncs, drops...);
 * - `dreammesh_dropped_total{channel,reason}`: bad input dropped, counted at the moment it arrives;
 * - `dreammesh_resource_records{what}`: samples offered, records published (also by reason, as
 *   `published_cpu`, `published_silence`...), sampling errors.
 */
export class NodeMetrics {
  private readonly dropped: Counter<'channel' | 'reason'>

  constructor (registry: Registry, source: NodeMetricsSource) {
    this.dropped = existing(registry, 'dreammesh_dropped_total') ?? new Counter({
      name: 'dreammesh_dropped_total',
      help: 'Messages dropped as malformed, oversized, stale or from a non-member, by channel and reason',
      labelNames: ['channel', 'reason'],
      registers: [registry]
    })
    if (existing(registry, 'dreammesh_members') !== undefined) return
    new Gauge({
      name: 'dreammesh_members',
      help: 'Members this node knows (itself not counted), by state',
      labelNames: ['state'],
      registers: [registry],
      collect () {
        const counts: Record<string, number> = { alive: 0, suspect: 0, dead: 0, left: 0 }
        for (const m of safe(source.members, [])) counts[m.state]++
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n)
      }
    })
    new Gauge({
      name: 'dreammesh_membership_events',
      help: 'The membership state machine\'s counters (probes, acks, suspicions, refutations, syncs, drops)',
      labelNames: ['counter'],
      registers: [registry],
      collect () {
        for (const [counter, n] of Object.entries(safe(source.membershipCounters, {}))) this.set({ counter }, n)
      }
    })
    new Gauge({
      name: 'dreammesh_resource_records',
      help: 'Resource samples offered, records published, and sampling errors',
      labelNames: ['what'],
      registers: [registry],
      collect () {
        const stats = safe(source.resourceStats, undefined)
        if (stats === undefined) return
        this.set({ what: 'offered' }, stats.offered)
        this.set({ what: 'published' }, stats.published)
        this.set({ what: 'sample_errors' }, stats.sampleErrors)
        for (const [reason, n] of stats.publishedBy) this.set({ what: `published_${reason}` }, n)
      }
    })
  }

  drop (channel: string, reason: string): void {
    this.dropped.inc({ channel, reason })
  }
}

function existing<T> (registry: Registry, name: string): T | undefined {
  return registry.getSingleMetric(name) as T | undefined
}

/** A scrape must not fail because the node stopped between two collects. */
function safe<T> (read: () => T, fallback: T): T {
  try {
    return read()
  } catch {
    return fallback
  }
}
