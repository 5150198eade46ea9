import type { NodeId } from '../core/ids.js'
import { HANDOFF_SPAN, handoffBudgetMs, handoffsOf, holderValidMs, killByMs, nextBallotEpoch, quorumOf, stopByMs, voterHoldMs } from './bounds.js'
import { count, drop, type LeaseContext } from './context.js'
import { LeaseKind, type LeaseMessage } from './lease-messages.js'
import type { LostReason, VoterSet } from './types.js'
import { leaseMessage } from './wire.js'

/** A lease this node holds. */
interface Held {
  epoch: number
  /** Local time the lease ends: the sending time of the last round a quorum granted, plus holderValidMs. */
  validUntilMs: number
  /** A quorum granted this epoch to this node (false right after a handoff, until the first renewal). */
  confirmed: boolean
  /** The node this one took over from by handoff, named in renewals until confirmed. */
  predecessor: NodeId
  /** stop-by came: the instance is stopping and the lease is no longer renewed. */
  stopping: boolean
  /** A renewal round failed during this lease (for the `lost` reason). */
  renewFailed: boolean
}

/** One request or renewal round. */
interface Round {
  nonce: number
  epoch: number
  renew: boolean
  sentAtMs: number
  set: VoterSet
  grants: Set<NodeId>
  denies: Set<NodeId>
  /** The longest time a denying voter said its grant to another still runs: no use asking before. */
  backoffMs: number
}

/** What this node knows and wants about one resource. */
interface Claim {
  wanted: boolean
  /** The highest epoch heard of for this resource: a new ballot goes above it. */
  maxSeenEpoch: number
  held?: Held
  round?: Round
  /** Handoff asks received (holder side): asker -> its ask's nonce and local arrival time. */
  asks: Map<NodeId, { nonce: number, arrivedAtMs: number }>
  /** Handoff asks sent (successor side): nonce -> the holder asked and the local sending time. */
  myAsks: Map<number, { holder: NodeId, sentAtMs: number }>
  /**
   * The epoch of the last lease this node lost (`lost`, `kill-by`) rather than released. Late grants for it
   * are left to run out: the host was told to kill, not that the kill has landed, so giving the epoch back
   * now would let a contender start before the end the voters were promised (ADR 0009: a RELEASE only after
   * the instance stopped, or for a ballot never acted on).
   */
  lostEpoch: number
}

/**
 * The holder role over many resources: acquires through a quorum, renews through a quorum, counts its
 * lease from when it SENT the round (bounds.ts), tells the host when to stop and to kill, stops at once on a
 * higher epoch, and hands off to a successor without a quorum round trip.
 *
 * Deadline keys: `t:` a round's timeout, `n:` next renewal or retry, `s:` stop-by, `k:` kill-by.
 */
export class LeaseHolder {
  private readonly claims = new Map<string, Claim>()
  private nonce: number

  /** The highest ballot per resource an earlier life of this node asked for: new ballots go above. */
  private readonly asked: Map<string, number>

  constructor (private readonly ctx: LeaseContext, ballots: ReadonlyArray<{ resource: string, epoch: number }> = []) {
    // Random start, so a restarted node's rounds do not match grants meant for its earlier life.
    this.nonce = ctx.rng.nextU32()
    this.asked = new Map(ballots.map((b) => [b.resource, b.epoch]))
  }

  /** Whether this node holds `resource` at local `nowMs`: the predicate the safety invariant is about. */
  holds (resource: string, nowMs: number): boolean {
    const h = this.claims.get(resource)?.held
    return h !== undefined && nowMs < h.validUntilMs
  }

  /** The lease held on `resource`, if any. */
  lease (resource: string): { epoch: number, validUntilMs: number, confirmed: boolean } | undefined {
    const h = this.claims.get(resource)?.held
    return h === undefined ? undefined : { epoch: h.epoch, validUntilMs: h.validUntilMs, confirmed: h.confirmed }
  }

  acquire (resource: string): void {
    const c = this.claim(resource)
    if (c === undefined) return
    c.wanted = true
    if (c.held === undefined && c.round === undefined) this.startAcquire(resource, c)
  }

  release (resource: string): void {
    const c = this.claims.get(resource)
    if (c === undefined) return
    c.wanted = false
    if (c.held !== undefined) {
      this.ctx.events.push({ type: 'released', resource, epoch: c.held.epoch })
      this.sendAll(c.round?.set ?? this.ctx.voterSet(), leaseMessage(LeaseKind.RELEASE, { resource, epoch: c.held.epoch }))
      this.drop(resource, c)
    } else if (c.round !== undefined) {
      this.abandon(resource, c)
    }
    this.forgetIfIdle(resource, c)
  }

  askHandoff (resource: string, holder: NodeId): void {
    const c = this.claim(resource)
    if (c === undefined) return
    const nonce = this.nextNonce()
    c.myAsks.set(nonce, { holder, sentAtMs: this.ctx.nowMs })
    // Keep the latest few: a handoff may answer an ask sent before the latest one.
    while (c.myAsks.size > this.ctx.config.maxHandoffAsks) c.myAsks.delete(c.myAsks.keys().next().value as number)
    this.ctx.out.push({ to: holder, message: leaseMessage(LeaseKind.HANDOFF_ASK, { resource, round: nonce }) })
  }

  /** Hands the lease to `to`; returns the problems if it cannot. */
  handoff (resource: string, to: NodeId): string[] {
    const ctx = this.ctx
    const c = this.claims.get(resource)
    const h = c?.held
    if (c === undefined || h === undefined || ctx.nowMs >= h.validUntilMs) return ['not held']
    if (h.stopping) return ['stopping']
    // Until a quorum confirmed our own handed-off epoch, voters would not follow a second hop.
    if (!h.confirmed) return ['not confirmed by a quorum yet']
    if (handoffsOf(h.epoch) === HANDOFF_SPAN - 1) return ['too many handoffs in a row: acquire anew']
    const ask = c.asks.get(to)
    if (ask === undefined) return [`${to} has not asked for a handoff`]
    const budgetMs = handoffBudgetMs(ctx.config, h.validUntilMs, ask.arrivedAtMs)
    if (budgetMs <= 0) return [`${to}'s ask is older than the lease left`]
    const epoch = h.epoch + 1
    // Stop first: the `lost` event comes before the send in the host's order of work.
    ctx.events.push({ type: 'lost', resource, epoch: h.epoch, reason: 'handed-off' })
    count(ctx, 'holder.handed-off')
    c.wanted = false
    c.maxSeenEpoch = Math.max(c.maxSeenEpoch, epoch)
    this.drop(resource, c)
    c.asks.delete(to)
    ctx.out.push({ to, message: leaseMessage(LeaseKind.HANDOFF, { resource, epoch, round: ask.nonce, budgetMs: Math.min(budgetMs, 0xffff_ffff) }) })
    return []
  }

  /** Every lease ends now; rounds in flight were timed on the old clock. */
  clockJumped (): void {
    for (const [resource, c] of this.claims) {
      if (c.held !== undefined) this.lose(resource, c, 'clock-jumped')
      else if (c.round !== undefined) this.abandon(resource, c)
      if (c.wanted) this.ctx.deadlines.set(`n:${resource}`, this.ctx.nowMs)
    }
  }

  onMessage (from: NodeId, m: LeaseMessage): void {
    switch (m.kind) {
      case LeaseKind.GRANT: this.onGrant(from, m); return
      case LeaseKind.DENY: this.onDeny(from, m); return
      case LeaseKind.HANDOFF_ASK: this.onAsk(from, m); return
      case LeaseKind.HANDOFF: this.onHandoff(from, m); return
      default:
    }
  }

  onTimer (key: string): void {
    const resource = key.slice(2)
    const c = this.claims.get(resource)
    if (c === undefined) return
    switch (key[0]) {
      case 't': if (c.round !== undefined) this.fail(resource, c, 'timeout'); return
      case 'n':
        if (c.held !== undefined) {
          const h = c.held
          if (!h.stopping && c.round === undefined) this.startRound(resource, c, h.epoch, true, h.confirmed ? '' : h.predecessor)
        } else if (c.wanted && c.round === undefined) {
          this.startAcquire(resource, c)
        }
        return
      case 's': this.stopBy(resource, c); return
      case 'k': this.killBy(resource, c); return
      case 'l':
        // The lost lease has run out at every voter by now: its late grants may be given back again.
        c.lostEpoch = 0
        this.forgetIfIdle(resource, c)
        return
      default:
    }
  }

  private onGrant (from: NodeId, m: LeaseMessage): void {
    const c = this.claims.get(m.resource)
    const r = c?.round
    if (c === undefined || r === undefined || r.nonce !== m.round || r.epoch !== m.epoch || !r.set.voters.includes(from)) {
      count(this.ctx, 'holder.stale-reply')
      // A grant for a ballot this node gave up (a failed round answered late, a duplicate): give it back, or
      // the voter would show a live higher epoch to the real holder for a whole lease.
      const ours = c?.held?.epoch === m.epoch || c?.round?.epoch === m.epoch || c?.lostEpoch === m.epoch
      if (!ours) this.sendTo([from], leaseMessage(LeaseKind.RELEASE, { resource: m.resource, epoch: m.epoch }))
      return
    }
    r.grants.add(from)
    if (r.grants.size >= quorumOf(r.set.voters.length)) this.succeed(m.resource, c, r)
  }

  private onDeny (from: NodeId, m: LeaseMessage): void {
    const ctx = this.ctx
    const c = this.claims.get(m.resource)
    if (c === undefined) { count(ctx, 'holder.stale-reply'); return }
    c.maxSeenEpoch = Math.max(c.maxSeenEpoch, m.recordEpoch)
    // A voter has a live grant of a higher epoch than ours: stop at once, whatever round this answers. (A
    // grant that ran out there is only news of a ballot: it says nothing about who acts now.)
    if (c.held !== undefined && m.recordEpoch > c.held.epoch && m.budgetMs > 0) {
      this.lose(m.resource, c, 'higher-epoch')
      return
    }
    const r = c.round
    if (r === undefined || r.nonce !== m.round || r.epoch !== m.epoch || !r.set.voters.includes(from)) { count(ctx, 'holder.stale-reply'); return }
    r.denies.add(from)
    if (m.reason === 'held' || m.reason === 'taken') r.backoffMs = Math.max(r.backoffMs, m.budgetMs)
    count(ctx, `holder.denied.${m.reason}`)
    if (r.denies.size > r.set.voters.length - quorumOf(r.set.voters.length)) this.fail(m.resource, c, 'denied')
  }

  private onAsk (from: NodeId, m: LeaseMessage): void {
    const c = this.claims.get(m.resource)
    if (c?.held === undefined) { drop(this.ctx, from, 'not-holder', `a handoff ask for ${m.resource}, which this node does not hold`); return }
    c.asks.delete(from)
    c.asks.set(from, { nonce: m.round, arrivedAtMs: this.ctx.nowMs })
    while (c.asks.size > this.ctx.config.maxHandoffAsks) c.asks.delete(c.asks.keys().next().value as NodeId)
  }

  private onHandoff (from: NodeId, m: LeaseMessage): void {
    const ctx = this.ctx
    const c = this.claims.get(m.resource)
    const ask = c?.myAsks.get(m.round)
    if (c === undefined || ask === undefined || ask.holder !== from) { drop(ctx, from, 'unasked-handoff', `a handoff of ${m.resource} this node did not ask ${from} for`); return }
    c.myAsks.delete(m.round)
    c.maxSeenEpoch = Math.max(c.maxSeenEpoch, m.epoch)
    if (c.held !== undefined && c.held.epoch >= m.epoch) { count(ctx, 'holder.stale-handoff'); return }
    if (c.held !== undefined) this.lose(m.resource, c, 'higher-epoch')
    if (c.round !== undefined) this.abandon(m.resource, c)
    c.wanted = true
    const validUntilMs = ask.sentAtMs + m.budgetMs
    if (ctx.nowMs >= killByMs(ctx.config, validUntilMs)) {
      // Too little left to act on; the epoch is still ours to confirm through a quorum, which starts a new lease.
      count(ctx, 'holder.handoff-too-late')
      this.startRound(m.resource, c, m.epoch, true, from)
      return
    }
    c.held = { epoch: m.epoch, validUntilMs, confirmed: false, predecessor: from, stopping: false, renewFailed: false }
    count(ctx, 'holder.acquired-by-handoff')
    this.announce(m.resource, c.held, 'acquired', 'handoff')
    // Confirm at once: until a quorum has the new epoch, it cannot be handed on or outlive the old lease.
    this.startRound(m.resource, c, m.epoch, true, from)
  }

  private startAcquire (resource: string, c: Claim): void {
    c.maxSeenEpoch = nextBallotEpoch(Math.max(c.maxSeenEpoch, this.asked.get(resource) ?? 0))
    this.asked.set(resource, c.maxSeenEpoch)
    // The ballot is made durable before the REQUEST leaves, so no later life of this node asks under it again.
    this.ctx.durable.push({ type: 'ballot', resource, epoch: c.maxSeenEpoch })
    this.startRound(resource, c, c.maxSeenEpoch, false, '', true)
  }

  /**
   * Sends a round to the voters. `predecessor`: the node that handed this epoch over, until a quorum confirmed
   * it. `afterPersist`: the messages wait for this step's durable records (the round counts from now, earlier
   * than they leave, which only shortens the lease).
   */
  private startRound (resource: string, c: Claim, epoch: number, renew: boolean, predecessor = '', afterPersist = false): void {
    const ctx = this.ctx
    const set = ctx.voterSet()
    const r: Round = { nonce: this.nextNonce(), epoch, renew, sentAtMs: ctx.nowMs, set, grants: new Set(), denies: new Set(), backoffMs: 0 }
    c.round = r
    const kind = renew ? LeaseKind.RENEW : LeaseKind.REQUEST
    const message = leaseMessage(kind, { resource, epoch, round: r.nonce, holder: predecessor, votersVersion: set.version })
    if (afterPersist) for (const v of set.voters) ctx.afterPersist.push({ to: v, message })
    else this.sendAll(set, message)
    ctx.deadlines.set(`t:${resource}`, ctx.nowMs + ctx.config.requestTimeoutMs)
    count(ctx, renew ? 'holder.renewals' : 'holder.requests')
  }

  private succeed (resource: string, c: Claim, r: Round): void {
    const ctx = this.ctx
    c.round = undefined
    ctx.deadlines.delete(`t:${resource}`)
    const validUntilMs = r.sentAtMs + holderValidMs(ctx.config)
    const h = c.held
    if (r.renew && h !== undefined && h.epoch === r.epoch) {
      if (h.stopping) return
      h.validUntilMs = Math.max(h.validUntilMs, validUntilMs)
      h.confirmed = true
      h.predecessor = ''
      this.announce(resource, h, 'renewed')
    } else if (h === undefined && c.wanted) {
      // A round answered so late that stop-by has passed gives nothing safe to start on.
      if (ctx.nowMs >= stopByMs(ctx.config, validUntilMs)) { this.fail(resource, c, 'late', r); return }
      c.held = { epoch: r.epoch, validUntilMs, confirmed: true, predecessor: '', stopping: false, renewFailed: false }
      count(ctx, 'holder.acquired')
      this.announce(resource, c.held, 'acquired', 'quorum')
    } else {
      this.sendAll(r.set, leaseMessage(LeaseKind.RELEASE, { resource, epoch: r.epoch }))
      return
    }
    ctx.deadlines.set(`n:${resource}`, r.sentAtMs + ctx.config.renewEveryMs)
  }

  private announce (resource: string, h: Held, type: 'acquired' | 'renewed', via: 'quorum' | 'handoff' = 'quorum'): void {
    const ctx = this.ctx
    const stop = stopByMs(ctx.config, h.validUntilMs)
    const kill = killByMs(ctx.config, h.validUntilMs)
    ctx.deadlines.set(`s:${resource}`, stop)
    ctx.deadlines.set(`k:${resource}`, kill)
    const common = { resource, epoch: h.epoch, validUntilMs: h.validUntilMs, stopByMs: stop, killByMs: kill }
    ctx.events.push(type === 'acquired' ? { type, via, ...common } : { type, ...common })
  }

  private fail (resource: string, c: Claim, why: string, r: Round | undefined = c.round): void {
    const ctx = this.ctx
    if (r === undefined) return
    c.round = undefined
    ctx.deadlines.delete(`t:${resource}`)
    count(ctx, `holder.round-failed.${why}`)
    if (r.renew && c.held !== undefined && c.held.epoch === r.epoch) {
      c.held.renewFailed = true
      // Try again soon; stop-by ends the attempts.
      if (!c.held.stopping) ctx.deadlines.set(`n:${resource}`, ctx.nowMs + ctx.rng.float() * ctx.config.retryJitterMs)
      return
    }
    // A failed acquisition: every voter that did not refuse lets it go (its grant may still be on the way), so a
    // split vote does not block for a lease, and no voter shows a dead ballot as a live higher epoch.
    if (!r.renew) this.sendTo(r.set.voters.filter((v) => !r.denies.has(v)), leaseMessage(LeaseKind.RELEASE, { resource, epoch: r.epoch }))
    const waitMs = Math.min(Math.max(ctx.config.requestTimeoutMs, r.backoffMs), voterHoldMs(ctx.config))
    if (c.wanted) ctx.deadlines.set(`n:${resource}`, ctx.nowMs + waitMs + ctx.rng.float() * ctx.config.retryJitterMs)
  }

  private abandon (resource: string, c: Claim): void {
    const r = c.round
    if (r === undefined) return
    c.round = undefined
    this.ctx.deadlines.delete(`t:${resource}`)
    if (!r.renew) this.sendAll(r.set, leaseMessage(LeaseKind.RELEASE, { resource, epoch: r.epoch }))
  }

  private stopBy (resource: string, c: Claim): void {
    const h = c.held
    if (h === undefined || h.stopping) return
    h.stopping = true
    if (c.round?.renew === true) { c.round = undefined; this.ctx.deadlines.delete(`t:${resource}`) }
    this.ctx.events.push({ type: 'stop-by', resource, epoch: h.epoch, atMs: stopByMs(this.ctx.config, h.validUntilMs) })
  }

  private killBy (resource: string, c: Claim): void {
    const h = c.held
    if (h === undefined) return
    if (!h.stopping) this.stopBy(resource, c)
    this.ctx.events.push({ type: 'kill-by', resource, epoch: h.epoch, atMs: killByMs(this.ctx.config, h.validUntilMs) })
    this.lose(resource, c, h.renewFailed ? 'renewal-failed' : 'expired')
  }

  private lose (resource: string, c: Claim, reason: LostReason): void {
    const h = c.held
    if (h === undefined) return
    count(this.ctx, `holder.lost.${reason}`)
    c.lostEpoch = h.epoch
    // Until the lost lease has run out at every voter (a whole lease past its end here covers their longer,
    // drift-padded hold), its late grants are left alone; then the claim may be forgotten.
    this.ctx.deadlines.set(`l:${resource}`, Math.max(this.ctx.nowMs, h.validUntilMs) + this.ctx.config.leaseMs)
    this.ctx.events.push({ type: 'lost', resource, epoch: h.epoch, reason })
    if (c.round !== undefined && c.round.renew) { c.round = undefined; this.ctx.deadlines.delete(`t:${resource}`) }
    this.drop(resource, c)
    if (c.wanted) this.ctx.deadlines.set(`n:${resource}`, this.ctx.nowMs + this.ctx.rng.float() * this.ctx.config.retryJitterMs)
  }

  /** Forgets the held lease and its deadlines. */
  private drop (resource: string, c: Claim): void {
    c.held = undefined
    c.asks.clear()
    for (const p of ['n', 's', 'k']) this.ctx.deadlines.delete(`${p}:${resource}`)
  }

  private forgetIfIdle (resource: string, c: Claim): void {
    if (!c.wanted && c.held === undefined && c.round === undefined && c.myAsks.size === 0 && c.lostEpoch === 0) this.claims.delete(resource)
  }

  private claim (resource: string): Claim | undefined {
    let c = this.claims.get(resource)
    if (c !== undefined) return c
    if (this.claims.size >= this.ctx.config.maxResources) {
      count(this.ctx, 'holder.full')
      this.ctx.events.push({ type: 'rejected', command: 'acquire', problems: [`already ${this.claims.size} resources (maxResources)`] })
      return undefined
    }
    c = { wanted: false, maxSeenEpoch: 0, asks: new Map(), myAsks: new Map(), lostEpoch: 0 }
    this.claims.set(resource, c)
    return c
  }

  private sendAll (set: VoterSet, message: LeaseMessage): void {
    this.sendTo(set.voters, message)
  }

  private sendTo (to: NodeId[], message: LeaseMessage): void {
    for (const v of to) this.ctx.out.push({ to: v, message })
  }

  private nextNonce (): number {
    this.nonce = (this.nonce + 1) >>> 0
    return this.nonce
  }
}
