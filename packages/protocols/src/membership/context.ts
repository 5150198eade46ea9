import type { NodeId } from '../core/ids.js'
import type { Deadlines } from '../core/deadlines.js'
import type { Rng } from '../core/rng.js'
import type { Send } from '../core/state-machine.js'
import type { BroadcastQueue } from './broadcast-queue.js'
import type { MembershipConfig } from './config.js'
import type { LocalHealth } from './local-health.js'
import type { Member, MemberTable } from './member-table.js'
import type { MembershipEvent } from './types.js'

/**
 * What the parts of the membership machine (news, prober, gossip, anti-entropy) share during one step.
 * `nowMs`, `sends` and `events` are reset by `Membership.step`; the rest lives as long as the machine.
 */
export interface MembershipContext {
  readonly config: MembershipConfig
  readonly rng: Rng
  readonly table: MemberTable
  readonly self: Member
  readonly health: LocalHealth
  readonly queue: BroadcastQueue
  readonly deadlines: Deadlines<string>
  readonly counters: Map<string, number>
  nowMs: number
  sends: Send[]
  events: MembershipEvent[]
  leaving: boolean
}

export function count (ctx: MembershipContext, name: string, by = 1): void {
  ctx.counters.set(name, (ctx.counters.get(name) ?? 0) + by)
}

/** Counts and reports a message from a peer that was dropped, with why (ARCHITECTURE.md rule 4). */
export function drop (ctx: MembershipContext, from: NodeId, reason: string, detail: string): void {
  count(ctx, `dropped.${reason}`)
  ctx.events.push({ type: 'dropped', from, reason, detail })
}

/** Up to `k` distinct random entries of `list` that pass `accept`; O(k) expected for k much smaller than the list. */
export function pickRandom (rng: Rng, list: readonly NodeId[], k: number, accept: (id: NodeId) => boolean): NodeId[] {
  const out: NodeId[] = []
  if (list.length === 0 || k <= 0) return out
  if (list.length <= k * 3) {
    const start = rng.int(list.length)
    for (let i = 0; i < list.length && out.length < k; i++) {
      const id = list[(start + i) % list.length]
      if (accept(id)) out.push(id)
    }
    return out
  }
  for (let tries = 0; tries < k * 4 && out.length < k; tries++) {
    const id = list[rng.int(list.length)]
    if (accept(id) && !out.includes(id)) out.push(id)
  }
  return out
}
