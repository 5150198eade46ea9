import type { NodeId } from '../core/ids.js'
import { seqAfter } from '../core/serial.js'
import type { MemberView } from '../membership/types.js'

/**
 * What each member last reported of the instances it runs (docs/protocol/instances.md), kept by the rules
 * both the real node's InstanceBoard and the simulator's board follow, so the soak checks the very rules the
 * node runs:
 * - a report under a lower incarnation than membership knows for its sender is an earlier life's: stale;
 * - a report from a sender not live here (it came back, or joined, before membership said so) waits aside,
 *   the newest per sender, and is taken once membership says it is live at an incarnation no higher;
 * - otherwise it replaces the sender's report if newer: a higher incarnation, or the same one and a later
 *   `seq` (RFC 1982 order); a member live again at a higher incarnation has its earlier report forgotten.
 */
export interface OrderedReport { incarnation: number, seq: number }

/** The most reports kept waiting for their senders to be live (one per sender; a bound, not a need). */
export const MAX_WAITING_REPORTS = 1_024

/** Whether report `a` is newer than `b`. */
export function reportNewer (a: OrderedReport, b: OrderedReport): boolean {
  return a.incarnation > b.incarnation || (a.incarnation === b.incarnation && seqAfter(a.seq, b.seq))
}

/** Membership's view of a sender, as far as the ledger cares. */
export type SenderView = Pick<MemberView, 'incarnation' | 'state'> | undefined

export type ReportVerdict =
  /** Newer than what is kept: `take` it. */
  | 'newer'
  /** An earlier life's, or not newer than what is kept. */
  | 'stale'
  /** From a sender not live here: kept aside until it is. */
  | 'waiting'

export class ReportLedger<R extends OrderedReport> {
  private readonly kept = new Map<NodeId, R>()
  private readonly waiting = new Map<NodeId, R>()

  /** Judges a report from `from` (keeping it aside when its sender is not live yet); does not take it. */
  judge (from: NodeId, report: R, sender: SenderView): ReportVerdict {
    if (sender !== undefined && report.incarnation < sender.incarnation) return 'stale'
    if (sender === undefined || (sender.state !== 'alive' && sender.state !== 'suspect')) {
      const w = this.waiting.get(from)
      if ((w === undefined || reportNewer(report, w)) && (w !== undefined || this.waiting.size < MAX_WAITING_REPORTS)) this.waiting.set(from, report)
      return 'waiting'
    }
    const known = this.kept.get(from)
    return known !== undefined && !reportNewer(report, known) ? 'stale' : 'newer'
  }

  /** Keeps `report` as `from`'s if it is newer than the one kept; whether it was. */
  take (from: NodeId, report: R): boolean {
    const known = this.kept.get(from)
    if (known !== undefined && !reportNewer(report, known)) return false
    this.kept.set(from, report)
    return true
  }

  /**
   * `node` is live here at `incarnation`: what an earlier life reported is forgotten, and a report of this
   * life that waited is taken. Whether what is kept of it changed.
   */
  memberBack (node: NodeId, incarnation: number): boolean {
    let changed = false
    const known = this.kept.get(node)
    if (known !== undefined && known.incarnation < incarnation) changed = this.forget(node)
    const w = this.waiting.get(node)
    if (w === undefined) return changed
    this.waiting.delete(node)
    return (w.incarnation >= incarnation && this.take(node, w)) || changed
  }

  /** Forgets `node`'s report (a report waiting for it to be live is of a later life: it stays). Whether one was kept. */
  forget (node: NodeId): boolean {
    return this.kept.delete(node)
  }

  get (node: NodeId): R | undefined {
    return this.kept.get(node)
  }

  entries (): IterableIterator<[NodeId, R]> {
    return this.kept.entries()
  }
}
