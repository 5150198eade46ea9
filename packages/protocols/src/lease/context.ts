import type { Deadlines } from '../core/deadlines.js'
import type { NodeId } from '../core/ids.js'
import type { Rng } from '../core/rng.js'
import type { Send } from '../core/state-machine.js'
import type { LeaseConfig } from './config.js'
import type { LeaseMessage } from './lease-messages.js'
import type { DurableRecord, LeaseEvent, VoterSet } from './types.js'

/**
 * What the roles of a lease machine (voter, holder, voter-set keeper) share during one step. `nowMs`,
 * `sends`, `events`, `durable` and `held` are reset by `LeaseMachine.step`.
 */
export interface LeaseContext {
  readonly id: NodeId
  readonly config: LeaseConfig
  readonly rng: Rng
  readonly deadlines: Deadlines<string>
  readonly counters: Map<string, number>
  nowMs: number
  events: LeaseEvent[]
  /** Messages to send now (to self: delivered within the step). */
  out: Array<{ to: NodeId, message: LeaseMessage }>
  /** Replies that may leave only once this step's `durable` records are written (the fsync rule). */
  afterPersist: Array<{ to: NodeId, message: LeaseMessage }>
  durable: DurableRecord[]
  /** How many persist requests still wait for the host. */
  pendingPersists: number
  /** The voter set this node counts quorums in and votes under. */
  voterSet: () => VoterSet
  /** Encoded sends for the host (filled by the machine at the end of a step). */
  sends: Send[]
}

export function count (ctx: LeaseContext, name: string, by = 1): void {
  ctx.counters.set(name, (ctx.counters.get(name) ?? 0) + by)
}

/** Counts and reports a message that was dropped, with why (ARCHITECTURE.md rule 4). */
export function drop (ctx: LeaseContext, from: NodeId, reason: string, detail: string): void {
  count(ctx, `dropped.${reason}`)
  ctx.events.push({ type: 'dropped', from, reason, detail })
}
