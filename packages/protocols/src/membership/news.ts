import type { NodeId } from '../core/ids.js'
import { decodeNewsMeta, newsOf, UpdateKind, type MetaLimits, type Update, type WireUpdate } from '../wire/codec.js'
import { count, drop, type MembershipContext } from './context.js'
import { minSuspicionMs } from './config.js'
import { expectedConfirmations, retransmitLimit } from './math.js'
import type { Member } from './member-table.js'
import { aliveUpdate, deadUpdate, fromWireMeta, leftUpdate, suspectUpdate } from './records.js'
import { Suspicion } from './suspicion.js'

/** How a piece of news arrived: piggybacked gossip is first-hand SWIM news; a sync record is hearsay. */
export type Via = 'gossip' | 'sync'

/** What a piece of news says, ignoring who says it (confirmations from others are the same news). */
function newsVersion (u: WireUpdate): string {
  return `${u.kind}:${u.incarnation}:${u.metaVersion}`
}

/**
 * The largest jump above our own incarnation we follow when refuting: enough for a member that restarted
 * without its persisted count, and far short of the range a forged claim could exhaust.
 */
const MAX_INCARNATION_JUMP = 65_536

/** The largest incarnation the wire carries; a member at it can no longer refute. */
const MAX_INCARNATION = 0xffffffff

/**
 * Applies membership news to the member table, in SWIM's order (alive < suspect < dead at one
 * incarnation; a higher incarnation wins) with memberlist's refinements, and passes accepted news on.
 *
 * One departure from memberlist: a dead or suspect verdict learned by anti-entropy about a member we see
 * alive is not adopted. After a partition heals, each side holds the other as dead; adopting those verdicts
 * would suspect half the cluster at once. Instead the member is probed with the claim attached (`verify`), so
 * a live member refutes within one round trip and a dead one fails the probe and is suspected as usual.
 */
export class News {
  readonly suspicions = new Map<NodeId, Suspicion>()
  /** Called for a claim that needs checking; set by the prober. */
  verify: (m: Member) => void = () => {}
  /** Called when a member becomes known or comes back; set by the prober (round-robin insert). */
  onNewMember: (id: NodeId) => void = () => {}
  /** Called when news is queued; set by the gossiper (arms the gossip timer). */
  onQueued: () => void = () => {}
  /**
   * Called with news (encoded) to tell every live member but `skip` at once; set by the gossiper. Used for a
   * suspicion from our own failed probe and our refutation (`announceSuspicionToAll`; the suspect is told
   * too, so that it refutes), and for a join through us (`announceJoinsToAll`; the newcomer is skipped).
   */
  onAnnounce: (raw: Uint8Array, skip?: NodeId) => void = () => {}

  constructor (private readonly ctx: MembershipContext, private readonly limits: MetaLimits) {}

  /** Applies one update heard from `from`; returns true if it changed the local view. */
  apply (u: WireUpdate, via: Via, from: NodeId): boolean {
    switch (u.kind) {
      case UpdateKind.ALIVE: return this.alive(u, via, from)
      case UpdateKind.SUSPECT: return this.suspect(u, via)
      case UpdateKind.DEAD: return this.dead(u, via)
      case UpdateKind.LEFT: return this.left(u, via)
      default: return false
    }
  }

  /** Queues news made here; `quiet` news rides only on packets sent anyway (MembershipConfig.quietMetaNews). */
  broadcast (u: Update, quiet = false): void {
    this.enqueue(newsOf(u), quiet)
  }

  /**
   * Queues news made here and, if `ours` (a suspicion from our own probe, our refutation) and
   * `announceSuspicionToAll` is on, tells every live member of it at once as well.
   */
  private broadcastToAll (u: Update, ours: boolean): void {
    const news = newsOf(u)
    this.enqueue(news)
    if (ours && this.ctx.config.announceSuspicionToAll) this.onAnnounce(news.raw)
  }

  /** Gossip brought news we already had: if we are spreading the same news, count it as spread once more. */
  heard (u: WireUpdate): void {
    const ctx = this.ctx
    ctx.queue.heard(u.node, newsVersion(u), retransmitLimit(ctx.config.retransmitMult, ctx.table.live.length + 1))
  }

  /**
   * Passes news on, infection style, if it came by gossip. News learned by anti-entropy is not re-gossiped:
   * whoever sent it has it already, and after a join or a heal it would make every member gossip the whole
   * member list at once. The news itself still spreads, from its origin's gossip and from later rounds.
   */
  private pass (u: WireUpdate, via: Via, quiet = false): void {
    if (via === 'gossip') this.enqueue(u, quiet)
  }

  /**
   * Passes on news of a member joining (or coming back). A member joins through us by syncing with us, so
   * we learn of it by anti-entropy, which `pass` does not re-gossip; and its own gossip goes to members it
   * has no connection to yet, which the transport drops. When twenty started at once, a join could reach
   * five members and then stop until the next anti-entropy round, 10 s later. So the member it joined
   * through passes the news on, and with `announceJoinsToAll` tells every live member at once (ADR 0020).
   */
  private passJoin (u: WireUpdate, via: Via, from: NodeId): void {
    this.pass(u, via)
    // Learned by anti-entropy from the newcomer itself: we are the member it joined through.
    if (via === 'gossip' || u.node !== from) return
    this.enqueue(u)
    if (this.ctx.config.announceJoinsToAll) this.onAnnounce(u.raw, u.node)
  }

  private enqueue (u: WireUpdate, quiet = false): void {
    this.ctx.queue.enqueue(u.node, newsVersion(u), u.raw, quiet && this.ctx.config.quietMetaNews)
    this.onQueued()
  }

  /** Raise our incarnation past `seen` and announce we are alive (SWIM section 4.2). */
  refute (seen: number, accuser: NodeId): boolean {
    const ctx = this.ctx
    if (ctx.leaving) return false
    const own = ctx.self.incarnation
    // Only we raise our incarnation, so a claim far above it is forged: refute from our own count, or a
    // single message could push us to the top of the range, where we could never refute again.
    const base = seen > own && seen - own <= MAX_INCARNATION_JUMP ? seen : own
    if (base + 1 > MAX_INCARNATION) return false
    ctx.table.change(ctx.self, { incarnation: base + 1 })
    ctx.health.apply(1)
    count(ctx, 'refutations')
    ctx.events.push({ type: 'refuted', incarnation: ctx.self.incarnation, accuser })
    this.broadcastToAll(aliveUpdate(ctx.self), true)
    return true
  }

  /**
   * Our own probe of `m` failed: suspect it at its current incarnation. If it is already suspected, our
   * failed probe is an independent confirmation (Lifeguard 3.3), counted here and passed on.
   */
  suspectMember (m: Member, from: NodeId): void {
    if (m.state === 'alive') this.startSuspicion(m, m.incarnation, from)
    else if (m.state === 'suspect') this.suspect(newsOf(suspectUpdate(m.id, m.incarnation, from)), 'gossip')
  }

  /** A suspicion ran out: `m` is dead. */
  expire (id: NodeId): void {
    const m = this.ctx.table.get(id)
    if (m === undefined || m.state !== 'suspect') return
    this.declareDead(m, m.incarnation, this.ctx.self.id)
  }

  /** Forget a dead or left member after its retention. */
  reap (id: NodeId): void {
    const m = this.ctx.table.get(id)
    if (m === undefined || (m.state !== 'dead' && m.state !== 'left')) return
    this.ctx.table.remove(m)
    this.ctx.events.push({ type: 'reaped', id })
  }

  private alive (u: WireUpdate, via: Via, from: NodeId): boolean {
    const ctx = this.ctx
    if (u.node === ctx.self.id) {
      // Someone holds a newer incarnation of us than we do (we restarted and lost count): go past it.
      return u.incarnation > ctx.self.incarnation ? this.refute(u.incarnation, u.node) : false
    }
    const m = ctx.table.get(u.node)
    const live = m !== undefined && (m.state === 'alive' || m.state === 'suspect')
    const newer = m === undefined || u.incarnation > m.incarnation || (u.incarnation === m.incarnation && live && u.metaVersion > m.metaVersion)
    if (!newer) return false
    // Only news that changes something costs a metadata decode.
    const decoded = decodeNewsMeta(u, this.limits)
    if (!decoded.ok) { drop(ctx, from, decoded.reason, decoded.detail); return false }
    const meta = fromWireMeta(decoded.value)
    if (m === undefined) {
      if (ctx.table.size >= ctx.config.maxMembers) {
        drop(ctx, from, 'member-limit', `already ${ctx.table.size} members, the most maxMembers allows`)
        return false
      }
      const added = ctx.table.add(u.node, 'alive', u.incarnation, u.metaVersion, meta, ctx.nowMs)
      this.onNewMember(added.id)
      ctx.events.push({ type: 'joined', member: ctx.table.view(added) })
      this.passJoin(u, via, from)
      return true
    }
    if (u.incarnation > m.incarnation) {
      const previous = m.state
      ctx.table.change(m, {
        state: 'alive',
        incarnation: u.incarnation,
        metaVersion: u.metaVersion,
        meta,
        sinceMs: previous === 'alive' ? m.sinceMs : ctx.nowMs
      })
      this.clearTimers(m.id)
      if (previous === 'dead' || previous === 'left') {
        this.onNewMember(m.id)
        ctx.events.push({ type: 'joined', member: ctx.table.view(m) })
        this.passJoin(u, via, from)
        return true
      } else if (previous === 'suspect') {
        ctx.events.push({ type: 'alive', member: ctx.table.view(m) })
      } else {
        ctx.events.push({ type: 'updated', member: ctx.table.view(m) })
      }
      this.pass(u, via)
      return true
    }
    ctx.table.change(m, { metaVersion: u.metaVersion, meta })
    ctx.events.push({ type: 'updated', member: ctx.table.view(m) })
    this.pass(u, via, true)
    return true
  }

  private suspect (u: WireUpdate, via: Via): boolean {
    const ctx = this.ctx
    if (u.node === ctx.self.id) {
      return u.incarnation >= ctx.self.incarnation ? this.refute(u.incarnation, u.from) : false
    }
    const m = ctx.table.get(u.node)
    if (m === undefined || u.incarnation < m.incarnation) return false
    if (u.incarnation > m.incarnation) {
      // Only the member raises its incarnation, and it does so by announcing itself alive. An accusation at
      // an incarnation we never heard of is checked, not adopted: else one forged message at the top of the
      // range would evict a member it could never refute.
      if (m.state === 'alive' || m.state === 'suspect') this.verify(m)
      return false
    }
    if (m.state === 'suspect') {
      if (via === 'sync') return false
      const s = this.suspicions.get(m.id)
      if (s === undefined || s.incarnation !== m.incarnation || u.incarnation !== m.incarnation) return false
      if (!s.confirm(u.from)) return false
      // Lifeguard: each independent confirmation shortens the timeout, and is passed on so others count it.
      ctx.deadlines.set(`s:${m.id}`, s.deadlineMs())
      this.broadcast(u)
      return true
    }
    if (m.state !== 'alive') return false
    if (via === 'sync') {
      this.verify(m)
      return false
    }
    this.startSuspicion(m, u.incarnation, u.from)
    return true
  }

  private dead (u: WireUpdate, via: Via): boolean {
    const ctx = this.ctx
    if (u.node === ctx.self.id) {
      return u.incarnation >= ctx.self.incarnation ? this.refute(u.incarnation, u.from) : false
    }
    const m = ctx.table.get(u.node)
    if (m === undefined || u.incarnation < m.incarnation || m.state === 'dead' || m.state === 'left') return false
    if (u.incarnation > m.incarnation || (via === 'sync' && m.state === 'alive')) {
      this.verify(m)
      return false
    }
    this.declareDead(m, u.incarnation, u.from)
    return true
  }

  private left (u: WireUpdate, via: Via): boolean {
    const ctx = this.ctx
    if (u.node === ctx.self.id) {
      // A replay of an old leave of ours, or a forgery by a member: we are here, so say so.
      return !ctx.leaving && u.incarnation >= ctx.self.incarnation ? this.refute(u.incarnation, u.node) : false
    }
    const m = ctx.table.get(u.node)
    if (m === undefined || u.incarnation < m.incarnation || m.state === 'left') return false
    if (u.incarnation > m.incarnation) {
      // A leave at an incarnation we never heard of is checked, not adopted (see `suspect`).
      if (m.state === 'alive' || m.state === 'suspect') this.verify(m)
      return false
    }
    ctx.table.change(m, { state: 'left', incarnation: u.incarnation, sinceMs: ctx.nowMs })
    this.clearTimers(m.id)
    ctx.deadlines.set(`r:${m.id}`, ctx.nowMs + ctx.config.deadRetentionMs)
    ctx.events.push({ type: 'left', member: ctx.table.view(m) })
    this.pass(newsOf(leftUpdate(m.id, m.incarnation)), via)
    return true
  }

  private startSuspicion (m: Member, incarnation: number, from: NodeId): void {
    const ctx = this.ctx
    const c = ctx.config
    const n = ctx.table.live.length + 1
    // A member in poor health reads refutations late too: it waits longer before it declares anyone dead.
    const usualMs = minSuspicionMs(c, n)
    const minMs = c.healthScalesSuspicion ? ctx.health.scale(usualMs) : usualMs
    const s = new Suspicion(incarnation, from, expectedConfirmations(c.suspicionMult, n), ctx.nowMs, minMs, minMs * c.suspicionMaxTimeoutMult)
    ctx.table.change(m, { state: 'suspect', incarnation, sinceMs: ctx.nowMs })
    this.suspicions.set(m.id, s)
    ctx.deadlines.set(`s:${m.id}`, s.deadlineMs())
    count(ctx, 'suspicions')
    ctx.events.push({ type: 'suspect', member: ctx.table.view(m), from })
    this.broadcastToAll(suspectUpdate(m.id, incarnation, from), from === ctx.self.id)
  }

  private declareDead (m: Member, incarnation: number, from: NodeId): void {
    const ctx = this.ctx
    ctx.table.change(m, { state: 'dead', incarnation, sinceMs: ctx.nowMs })
    this.clearTimers(m.id)
    ctx.deadlines.set(`r:${m.id}`, ctx.nowMs + ctx.config.deadRetentionMs)
    count(ctx, 'deaths')
    ctx.events.push({ type: 'dead', member: ctx.table.view(m), from })
    this.broadcast(deadUpdate(m.id, incarnation, from))
  }

  private clearTimers (id: NodeId): void {
    this.suspicions.delete(id)
    this.ctx.deadlines.delete(`s:${id}`)
    this.ctx.deadlines.delete(`r:${id}`)
  }
}
