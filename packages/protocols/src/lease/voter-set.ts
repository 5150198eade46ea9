import type { NodeId } from '../core/ids.js'
import { quorumOf, voterHoldMs } from './bounds.js'
import { count, drop, type LeaseContext } from './context.js'
import { LeaseKind, type LeaseMessage } from './lease-messages.js'
import type { VoterSet, VoterSetRecord } from './types.js'
import { leaseMessage } from './wire.js'

/**
 * The voter list changes one member at a time, each change decided by a quorum of the OLD list
 * (docs/protocol/lease.md, "Voter sets"; ADR 0009).
 *
 * Version n+1's list is chosen by single-decree Paxos among the voters of version n, so every node that
 * hears of version n+1 hears the same list. Two more rules make leases safe across changes:
 * - a list one member away from the last has majorities that intersect every majority of the last, so a
 *   round counted under version n and one counted under n+1 share a voter that saw both;
 * - a voter takes part in deciding version n+2 only after it has been at n+1 for one voter hold, so every
 *   lease granted under version n has run out before anything is granted under n+2.
 * A voter only moves to a version on a COMMIT (sent by a proposer that a quorum accepted, or relayed), so
 * a node may adopt any committed version it hears of.
 */

/** Sorted, without repeats. */
export function normalizeVoters (voters: readonly NodeId[]): NodeId[] {
  return [...new Set(voters)].sort()
}

/** How many members differ between two lists. */
export function votersDistance (a: readonly NodeId[], b: readonly NodeId[]): number {
  const sa = new Set(a)
  const sb = new Set(b)
  let d = 0
  for (const x of sa) if (!sb.has(x)) d++
  for (const x of sb) if (!sa.has(x)) d++
  return d
}

/**
 * The next list on the way from `current` to `target`, one member away from `current`, or undefined when
 * there. Adds come before removals, so the cluster never has fewer voters than it must on the way
 * (from {a,b,c} to {a,b,d}: {a,b,c,d} first, then {a,b,d}). Never empties the list.
 */
export function nextVoters (current: readonly NodeId[], target: readonly NodeId[]): NodeId[] | undefined {
  const cur = normalizeVoters(current)
  const tgt = normalizeVoters(target)
  const add = tgt.find((x) => !cur.includes(x))
  if (add !== undefined) return normalizeVoters([...cur, add])
  const remove = cur.find((x) => !tgt.includes(x))
  if (remove !== undefined && cur.length > 1) return cur.filter((x) => x !== remove)
  return undefined
}

function cloneRecord (r: VoterSetRecord): VoterSetRecord {
  const out: VoterSetRecord = { current: { version: r.current.version, voters: [...r.current.voters] }, promisedBallot: r.promisedBallot }
  if (r.accepted !== undefined) out.accepted = { ballot: r.accepted.ballot, voters: [...r.accepted.voters] }
  return out
}

interface Proposal {
  /** The version being decided. */
  version: number
  ballot: number
  own: NodeId[]
  phase: 'prepare' | 'accept'
  value: NodeId[]
  promises: Set<NodeId>
  highestAccepted: number
  accepts: Set<NodeId>
}

/** A node's voter set, its acceptor state for the next version, and its proposals toward the desired list. */
export class VoterSetKeeper {
  private rec: VoterSetRecord
  /** Local time this node moved to its current version (its restart time if restored). */
  private sinceMs: number
  private target: NodeId[] | undefined
  private proposal: Proposal | undefined
  private maxBallot = 0

  constructor (private readonly ctx: LeaseContext, initial: VoterSet, restored: VoterSetRecord | undefined, nowMs: number) {
    const start = restored !== undefined && restored.current.version >= initial.version ? restored : { current: initial, promisedBallot: 0 }
    this.rec = { current: { version: start.current.version, voters: normalizeVoters(start.current.voters) }, promisedBallot: start.promisedBallot, accepted: start.accepted }
    this.sinceMs = nowMs
    this.maxBallot = this.rec.promisedBallot
  }

  get current (): VoterSet { return this.rec.current }

  /** The desired list: walk toward it. */
  setTarget (voters: NodeId[]): string[] {
    const t = normalizeVoters(voters)
    if (t.length === 0) return ['an empty voter list']
    if (t.length > this.ctx.config.maxVoters) return [`${t.length} voters, over maxVoters ${this.ctx.config.maxVoters}`]
    this.target = t
    this.drive()
    return []
  }

  /** Adopts a committed set heard from a voter (a DENY 'voter-set' or a COMMIT). */
  adopt (set: VoterSet): void {
    if (set.version <= this.rec.current.version || set.voters.length === 0) return
    this.rec = { current: { version: set.version, voters: normalizeVoters(set.voters) }, promisedBallot: 0 }
    this.sinceMs = this.ctx.nowMs
    this.ctx.durable.push({ type: 'voters', record: cloneRecord(this.rec) })
    this.ctx.events.push({ type: 'voters-changed', version: set.version, voters: [...this.rec.current.voters] })
    count(this.ctx, 'voters.adopted')
    if (this.proposal !== undefined && this.proposal.version <= set.version) this.endProposal()
    this.drive()
  }

  onMessage (from: NodeId, m: LeaseMessage): void {
    switch (m.kind) {
      case LeaseKind.VOTERS_PREPARE: this.onPrepare(from, m); return
      case LeaseKind.VOTERS_ACCEPT: this.onAccept(from, m); return
      case LeaseKind.VOTERS_COMMIT: this.adopt({ version: m.votersVersion, voters: m.voters }); return
      case LeaseKind.VOTERS_PROMISE: case LeaseKind.VOTERS_ACCEPTED: case LeaseKind.VOTERS_NACK: this.onReply(from, m); return
      default:
    }
  }

  /** The proposal timer (`v:`): retry with a higher ballot. */
  onTimer (): void {
    if (this.proposal !== undefined) { count(this.ctx, 'voters.proposal-timeout'); this.endProposal() }
    this.drive()
  }

  /** Brings a voter that is behind up to this node's version. */
  relay (to: NodeId): void {
    const c = this.rec.current
    this.ctx.out.push({ to, message: leaseMessage(LeaseKind.VOTERS_COMMIT, { votersVersion: c.version, voters: c.voters }) })
  }

  private settled (): boolean {
    return this.ctx.nowMs >= this.sinceMs + voterHoldMs(this.ctx.config)
  }

  /** Acceptor: refuses unless this node is a voter of the version being replaced and has settled there. */
  private acceptorRefusal (m: LeaseMessage): string | undefined {
    const c = this.rec.current
    if (m.votersVersion <= c.version) return 'decided'
    if (m.votersVersion > c.version + 1) return 'behind'
    if (!c.voters.includes(this.ctx.id)) return 'not-a-voter'
    if (!this.settled()) return 'settling'
    return undefined
  }

  private onPrepare (from: NodeId, m: LeaseMessage): void {
    const refusal = this.acceptorRefusal(m)
    if (refusal !== undefined) { this.nack(from, m, refusal); return }
    if (m.ballot <= this.rec.promisedBallot) { this.nack(from, m, 'ballot'); return }
    this.rec.promisedBallot = m.ballot
    this.ctx.durable.push({ type: 'voters', record: cloneRecord(this.rec) })
    const a = this.rec.accepted
    this.ctx.afterPersist.push({ to: from, message: leaseMessage(LeaseKind.VOTERS_PROMISE, { votersVersion: m.votersVersion, ballot: m.ballot, acceptedBallot: a?.ballot ?? 0, voters: a?.voters ?? [] }) })
  }

  private onAccept (from: NodeId, m: LeaseMessage): void {
    const refusal = this.acceptorRefusal(m)
    if (refusal !== undefined) { this.nack(from, m, refusal); return }
    if (votersDistance(this.rec.current.voters, m.voters) !== 1) { drop(this.ctx, from, 'invalid-field', 'a proposed voter list more than one member away'); return }
    if (m.voters.length > this.ctx.config.maxVoters) { drop(this.ctx, from, 'invalid-field', 'a proposed voter list over maxVoters'); return }
    if (m.ballot < this.rec.promisedBallot) { this.nack(from, m, 'ballot'); return }
    this.rec.promisedBallot = m.ballot
    this.rec.accepted = { ballot: m.ballot, voters: normalizeVoters(m.voters) }
    this.ctx.durable.push({ type: 'voters', record: cloneRecord(this.rec) })
    this.ctx.afterPersist.push({ to: from, message: leaseMessage(LeaseKind.VOTERS_ACCEPTED, { votersVersion: m.votersVersion, ballot: m.ballot }) })
  }

  private nack (to: NodeId, m: LeaseMessage, reason: string): void {
    count(this.ctx, `voters.nack.${reason}`)
    const c = this.rec.current
    this.ctx.out.push({ to, message: leaseMessage(LeaseKind.VOTERS_NACK, { votersVersion: c.version, ballot: Math.max(m.ballot, this.rec.promisedBallot), reason, voters: c.voters }) })
  }

  private onReply (from: NodeId, m: LeaseMessage): void {
    const p = this.proposal
    if (m.kind === LeaseKind.VOTERS_NACK) {
      this.maxBallot = Math.max(this.maxBallot, m.ballot)
      // A NACK carries the acceptor's committed set: newer than ours, we adopt it; older, we bring it up.
      if (m.votersVersion > this.rec.current.version) this.adopt({ version: m.votersVersion, voters: m.voters })
      else if (m.reason === 'behind') this.relay(from)
      return
    }
    const c = this.rec.current
    if (p === undefined || m.votersVersion !== p.version || m.ballot !== p.ballot || !c.voters.includes(from)) { count(this.ctx, 'voters.stale-reply'); return }
    const quorum = quorumOf(c.voters.length)
    if (m.kind === LeaseKind.VOTERS_PROMISE && p.phase === 'prepare') {
      p.promises.add(from)
      // Paxos: the value accepted under the highest ballot wins over our own.
      if (m.acceptedBallot > p.highestAccepted && m.voters.length > 0) { p.highestAccepted = m.acceptedBallot; p.value = normalizeVoters(m.voters) }
      if (p.promises.size >= quorum) {
        p.phase = 'accept'
        this.sendTo(c.voters, leaseMessage(LeaseKind.VOTERS_ACCEPT, { votersVersion: p.version, ballot: p.ballot, voters: p.value }))
      }
    } else if (m.kind === LeaseKind.VOTERS_ACCEPTED && p.phase === 'accept') {
      p.accepts.add(from)
      if (p.accepts.size >= quorum) {
        const decided = { version: p.version, voters: p.value }
        const old = c.voters
        count(this.ctx, 'voters.decided')
        this.endProposal()
        this.sendTo(normalizeVoters([...old, ...decided.voters]).filter((x) => x !== this.ctx.id), leaseMessage(LeaseKind.VOTERS_COMMIT, { votersVersion: decided.version, voters: decided.voters }))
        this.adopt(decided)
      }
    }
  }

  /** Starts the next single-member change toward the target, when there is one and none is under way. */
  private drive (): void {
    const ctx = this.ctx
    if (this.proposal !== undefined || this.target === undefined) return
    const next = nextVoters(this.rec.current.voters, this.target)
    if (next === undefined) { ctx.deadlines.delete('v:'); return }
    if (!this.settled()) { ctx.deadlines.set('v:', this.sinceMs + voterHoldMs(ctx.config)); return }
    this.maxBallot += 1 + ctx.rng.int(8)
    const p: Proposal = { version: this.rec.current.version + 1, ballot: this.maxBallot, own: next, phase: 'prepare', value: next, promises: new Set(), highestAccepted: 0, accepts: new Set() }
    this.proposal = p
    count(ctx, 'voters.proposals')
    this.sendTo(this.rec.current.voters, leaseMessage(LeaseKind.VOTERS_PREPARE, { votersVersion: p.version, ballot: p.ballot }))
    ctx.deadlines.set('v:', ctx.nowMs + 2 * ctx.config.requestTimeoutMs + ctx.rng.float() * ctx.config.retryJitterMs)
  }

  private endProposal (): void {
    this.proposal = undefined
    this.ctx.deadlines.delete('v:')
  }

  private sendTo (to: readonly NodeId[], message: LeaseMessage): void {
    for (const v of to) this.ctx.out.push({ to: v, message })
  }
}
