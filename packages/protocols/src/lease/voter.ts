import type { NodeId } from '../core/ids.js'
import { handoffsOf, voterHoldMs } from './bounds.js'
import { count, type LeaseContext } from './context.js'
import { LeaseKind, type LeaseMessage } from './lease-messages.js'
import type { GrantRecord } from './types.js'
import { leaseMessage } from './wire.js'

/** Why a voter refuses; sent back in DENY so the holder can learn (a higher epoch, a newer voter set). */
export type DenyReason =
  | 'restarting' // grants nothing for one voter hold after a restart or a clock jump
  | 'not-a-voter' // this node is not in its own voter set
  | 'voter-set' // the request counts under another voter-set version
  | 'stale-epoch' // the voter already granted a higher epoch
  | 'taken' // this epoch was granted to another node
  | 'held' // another node's grant has not run out here
  | 'full' // maxResources reached
  | 'busy' // too many grants wait for the host's fsync

/** The outcome of one request at one voter, from its record and clock alone. */
export type Decision = { grant: true } | { grant: false, reason: DenyReason }

/**
 * The ballot rule, pure (docs/protocol/lease.md, "Voter"). A voter grants `epoch` to `from`
 * - when it is the epoch it already granted to `from` (a renewal; expired or not: nobody else has it), or
 * - when it is above the recorded epoch and the recorded grant has run out here, or
 * - when it is the recorded epoch plus one, from the successor the recorded holder handed off to.
 * Anything at or below a recorded epoch for another node is refused, so no two holders ever share an epoch.
 */
export function decide (rec: GrantRecord | undefined, epoch: number, from: NodeId, predecessor: NodeId, nowMs: number): Decision {
  if (rec === undefined) return { grant: true }
  if (epoch < rec.epoch) return { grant: false, reason: 'stale-epoch' }
  if (epoch === rec.epoch) return rec.holder === from ? { grant: true } : { grant: false, reason: 'taken' }
  if (nowMs >= rec.expiresAtMs) return { grant: true }
  const handedOff = predecessor !== '' && predecessor === rec.holder && epoch === rec.epoch + 1 && handoffsOf(epoch) > 0
  return handedOff ? { grant: true } : { grant: false, reason: 'held' }
}

/**
 * The voter role: keeps one grant record per resource, answers REQUEST and RENEW, forgets on RELEASE.
 * A grant is made durable before its GRANT leaves (ctx.afterPersist); a deny needs no fsync.
 */
export class LeaseVoter {
  private readonly records = new Map<string, GrantRecord>()
  /** No grant before this local time: after a restart or a clock jump, old grants may still run elsewhere. */
  quietUntilMs: number

  constructor (private readonly ctx: LeaseContext, restored: GrantRecord[], quietUntilMs: number) {
    // Restored expiries are on the clock before the restart; the quiet period outlasts them all, so they
    // are kept only for their epochs (a ballot is never granted twice) and counted as run out.
    for (const r of restored) this.records.set(r.resource, { ...r, expiresAtMs: Number.NEGATIVE_INFINITY })
    this.quietUntilMs = quietUntilMs
  }

  /** The record for `resource`, for tests and status. */
  record (resource: string): GrantRecord | undefined {
    const r = this.records.get(resource)
    return r === undefined ? undefined : { ...r }
  }

  /** After a clock jump every local expiry is suspect: keep the epochs, go quiet for one voter hold. */
  clockJumped (): void {
    for (const r of this.records.values()) r.expiresAtMs = Number.NEGATIVE_INFINITY
    this.quietUntilMs = this.ctx.nowMs + voterHoldMs(this.ctx.config)
  }

  onRequest (from: NodeId, m: LeaseMessage): void {
    const ctx = this.ctx
    const set = ctx.voterSet()
    const reason = this.refusal(m)
    if (reason !== undefined) { this.deny(from, m, reason); return }
    const rec = this.records.get(m.resource)
    const d = decide(rec, m.epoch, from, m.kind === LeaseKind.RENEW ? m.holder : '', ctx.nowMs)
    if (!d.grant) { this.deny(from, m, d.reason); return }
    const granted: GrantRecord = { resource: m.resource, epoch: m.epoch, holder: from, expiresAtMs: ctx.nowMs + voterHoldMs(ctx.config) }
    this.records.set(m.resource, granted)
    count(ctx, m.kind === LeaseKind.RENEW ? 'voter.extended' : 'voter.granted')
    ctx.durable.push({ type: 'grant', record: { ...granted } })
    ctx.afterPersist.push({ to: from, message: leaseMessage(LeaseKind.GRANT, { resource: m.resource, epoch: m.epoch, round: m.round, votersVersion: set.version }) })
  }

  /** The holder no longer acts under this epoch: let the grant run out now. Not made durable: a restart is quiet anyway. */
  onRelease (from: NodeId, m: LeaseMessage): void {
    const rec = this.records.get(m.resource)
    if (rec === undefined || rec.holder !== from || rec.epoch !== m.epoch) { count(this.ctx, 'voter.release-ignored'); return }
    rec.expiresAtMs = this.ctx.nowMs
    count(this.ctx, 'voter.released')
  }

  private refusal (m: LeaseMessage): DenyReason | undefined {
    const ctx = this.ctx
    const set = ctx.voterSet()
    if (ctx.nowMs < this.quietUntilMs) return 'restarting'
    if (!set.voters.includes(ctx.id)) return 'not-a-voter'
    if (m.votersVersion !== set.version) return 'voter-set'
    if (!this.records.has(m.resource) && this.records.size >= ctx.config.maxResources) return 'full'
    if (ctx.pendingPersists >= ctx.config.maxPendingPersists) return 'busy'
    return undefined
  }

  private deny (to: NodeId, m: LeaseMessage, reason: DenyReason): void {
    const ctx = this.ctx
    const set = ctx.voterSet()
    const rec = this.records.get(m.resource)
    count(ctx, `voter.denied.${reason}`)
    ctx.out.push({
      to,
      message: leaseMessage(LeaseKind.DENY, {
        resource: m.resource,
        epoch: m.epoch,
        round: m.round,
        reason,
        recordEpoch: rec?.epoch ?? 0,
        holder: rec?.holder ?? '',
        // How long the recorded grant still runs here: a holder stops only for a LIVE higher epoch, and a
        // contender waits this long before it tries again.
        budgetMs: rec === undefined ? 0 : Math.min(0xffff_ffff, Math.max(0, Math.ceil(rec.expiresAtMs - ctx.nowMs))),
        votersVersion: set.version,
        voters: reason === 'voter-set' ? set.voters : []
      })
    })
  }
}
