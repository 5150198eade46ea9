import type { NodeId } from '../core/ids.js'
import { fieldCost } from '../wire/frame.js'

interface Broadcast {
  about: NodeId
  /** What the news says, to recognise the same news coming back from others. */
  version: string
  bytes: Uint8Array
  transmits: number
  /** Rides only on packets sent anyway; never a reason to send one (see MembershipConfig.quietMetaNews). */
  quiet: boolean
}

/** The smallest update worth looking for (a SUSPECT with short ids is about this size). */
const MIN_UPDATE_BYTES = 16

/** The share of the retransmit limit that one echo of the same news from another member uses up. */
const HEARD_SHARE = 0.25

/** Echoes retire news only while at least this much news is queued (a join storm, a heal). */
const ECHO_RETIREMENT_MIN_QUEUED = 64

/** How many entries in a row may fail to fit before `take` stops looking. */
const MAX_MISSES = 8

/**
 * News waiting to be gossiped, sent fewest-times-first, each piece at most `limit` times (memberlist's
 * TransmitLimitedQueue). Newer news about a member replaces older news about it, so the queue holds at most
 * one entry per member and never more than `maxQueued` in all.
 */
export class BroadcastQueue {
  /** levels[t] holds the news sent t times, in arrival order. */
  private readonly levels: Array<Map<NodeId, Broadcast>> = []
  private readonly byMember = new Map<NodeId, Broadcast>()
  private loudCount = 0

  /**
   * @param maxQueued the most news kept
   * @param echoRetirementMinQueued echoes retire news only while at least this much is queued
   */
  constructor (private readonly maxQueued: number, private readonly echoRetirementMinQueued = ECHO_RETIREMENT_MIN_QUEUED) {}

  get size (): number { return this.byMember.size }

  /** Queued news that is worth a packet of its own: the gossip tick runs while this is above zero. */
  get loud (): number { return this.loudCount }

  /**
   * Queues news about `about`; `version` identifies its content (kind, incarnation, meta version). Quiet news
   * that replaces loud news about the same member stays loud: it carries what the loud news said.
   */
  enqueue (about: NodeId, version: string, bytes: Uint8Array, quiet = false): void {
    const old = this.byMember.get(about)
    if (old !== undefined) this.remove(old)
    const b: Broadcast = { about, version, bytes, transmits: 0, quiet: quiet && (old === undefined || old.quiet) }
    this.byMember.set(about, b)
    if (!b.quiet) this.loudCount++
    this.level(0).set(about, b)
    if (this.byMember.size > this.maxQueued) this.dropMostSent()
  }

  /**
   * Takes news fitting `budgetBytes` (counting each entry's field overhead), counts one transmit for each,
   * and retires the news that reached `limit`.
   */
  take (budgetBytes: number, limit: number, maxCount = Infinity): Uint8Array[] {
    if (this.byMember.size === 0) return []
    const out: Uint8Array[] = []
    const taken: Broadcast[] = []
    let left = budgetBytes
    let misses = 0
    scan: for (let t = 0; t < this.levels.length; t++) {
      const level = this.levels[t]
      if (level === undefined) continue
      for (const b of level.values()) {
        const cost = fieldCost(b.bytes.length)
        if (cost > left) {
          // A packet is nearly full once a few entries in a row do not fit; scanning on costs O(queue).
          if (++misses >= MAX_MISSES) break scan
          continue
        }
        left -= cost
        misses = 0
        out.push(b.bytes)
        taken.push(b)
        if (left < MIN_UPDATE_BYTES || out.length >= maxCount) break scan
      }
    }
    for (const b of taken) {
      this.levels[b.transmits].delete(b.about)
      b.transmits++
      if (b.transmits >= limit) this.forget(b)
      else this.level(b.transmits).set(b.about, b)
    }
    return out
  }

  /**
   * The same news came back from another member: count it as `HEARD_SHARE` of its transmits. This is the
   * counter variant of rumor mongering (Demers et al., "Epidemic algorithms for replicated database
   * maintenance", 1987): news that others are already spreading stops being sent after a few such
   * echoes, so after a cold start or a heal the queues drain in a few rounds instead of sending every piece
   * λ·log N times to members that have it.
   */
  heard (about: NodeId, version: string, limit: number): void {
    // Only under pressure: retiring by echoes leaves a residue of members that never hear the news (Demers'
    // analysis), which a few pieces of news at a time cannot afford, and a storm of them can.
    if (this.byMember.size < this.echoRetirementMinQueued) return
    const b = this.byMember.get(about)
    if (b === undefined || b.version !== version) return
    this.levels[b.transmits].delete(about)
    b.transmits += Math.max(1, Math.floor(limit * HEARD_SHARE))
    if (b.transmits >= limit) this.forget(b)
    else this.level(b.transmits).set(about, b)
  }

  /** Takes `b` out of its level and out of the queue. */
  private remove (b: Broadcast): void {
    this.levels[b.transmits].delete(b.about)
    this.forget(b)
  }

  /** Takes `b` out of the queue (the caller has taken it out of its level). */
  private forget (b: Broadcast): void {
    this.byMember.delete(b.about)
    if (!b.quiet) this.loudCount--
  }

  private level (t: number): Map<NodeId, Broadcast> {
    let l = this.levels[t]
    if (l === undefined) {
      for (let i = this.levels.length; i <= t; i++) this.levels[i] = new Map()
      l = this.levels[t]
    }
    return l
  }

  private dropMostSent (): void {
    for (let t = this.levels.length - 1; t >= 0; t--) {
      const level = this.levels[t]
      const first = level?.values().next()
      if (first === undefined || first.done === true) continue
      this.remove(first.value)
      return
    }
  }
}
