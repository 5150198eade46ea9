import type { NodeId } from '../core/ids.js'
import { MAX_SYNC_MEMBERS, MEMBERSHIP_WIRE_VERSION, Sync, SyncKind, type SyncMessage, type WireUpdate } from '../wire/codec.js'
import { fieldCost, spliceRepeated } from '../wire/frame.js'
import { count, drop, type MembershipContext } from './context.js'
import type { News } from './news.js'
import { encodeRecord } from './records.js'

/** The field number of `Sync.members` (see membership.proto). */
const MEMBERS_FIELD = 6

/** Room kept in each frame for the Sync header: up to 256 bucket indexes and the scalar fields. */
const SYNC_HEADER_RESERVE_BYTES = 256 * 3 + 32

interface Outbound { peer: NodeId, buckets: number[] | undefined, changed: boolean }

/**
 * Push-pull anti-entropy over reliable streams. Where memberlist ships the whole member list every 30 s,
 * a round here opens with a digest of the live members in `digestBuckets` buckets, and only the buckets
 * that differ travel, in both directions, chunked to `maxFrameBytes`. A round that agrees costs a few
 * hundred bytes whatever N is, so rounds can be frequent; a round that changed something makes the next one
 * come sooner, which is what merges two healed partitions quickly.
 *
 * Rounds pick any remembered peer, dead ones included: that is how the two sides of a healed partition,
 * each of which holds the other dead, find each other again with no operator action.
 */
export class AntiEntropy {
  private readonly outbound = new Map<number, Outbound>()
  private readonly inbound = new Map<string, number>()
  private session = 0
  private fast = false
  private seeds: NodeId[] = []

  constructor (private readonly ctx: MembershipContext, private readonly news: News) {}

  tick (): void {
    const ctx = this.ctx
    const c = ctx.config
    const base = this.fast ? c.pushPullFastIntervalMs : c.pushPullIntervalMs
    // ±10% jitter keeps members from falling into lockstep.
    ctx.deadlines.set('sync', ctx.nowMs + base * (0.9 + 0.2 * ctx.rng.float()))
    this.fast = false
    const { live, dead } = ctx.table
    const total = live.length + dead.length
    if (total === 0) return
    const r = ctx.rng.int(total)
    this.open(r < live.length ? live[r] : dead[r - live.length])
  }

  join (seeds: NodeId[]): void {
    const ctx = this.ctx
    this.seeds = seeds.filter((s) => s !== ctx.self.id).slice(0, ctx.config.maxJoinSeeds)
    this.retryJoin()
  }

  /** While we know no live peer, keep contacting the seeds. */
  retryJoin (): void {
    const ctx = this.ctx
    if (this.seeds.length === 0 || ctx.table.live.length > 0 || ctx.leaving) return
    for (const seed of this.seeds) this.open(seed)
    ctx.deadlines.set('join', ctx.nowMs + ctx.config.joinRetryIntervalMs)
  }

  onTimer (key: string): void {
    if (key.startsWith('xo:')) this.outbound.delete(Number(key.slice(3)))
    else if (key.startsWith('xi:')) this.inbound.delete(key.slice(3))
  }

  onSync (from: NodeId, s: SyncMessage): void {
    const ctx = this.ctx
    if (s.kind === SyncKind.DIGEST) {
      this.answer(from, s)
      return
    }
    if (s.reply) {
      const o = this.outbound.get(s.session)
      if (o === undefined || o.peer !== from) { drop(ctx, from, 'unknown-session', `STATE reply for session ${s.session}`); return }
      o.buckets ??= s.buckets
      if (this.merge(from, s.members)) o.changed = true
      if (!s.last) return
      this.outbound.delete(s.session)
      ctx.deadlines.delete(`xo:${s.session}`)
      if (o.changed) this.fast = true
      if (o.buckets.length > 0) this.sendState(from, s.session, false, o.buckets)
      return
    }
    const key = `${from}|${s.session}`
    if (!this.inbound.has(key)) { drop(ctx, from, 'unknown-session', `STATE for session ${s.session}`); return }
    if (this.merge(from, s.members)) this.fast = true
    if (s.last) {
      this.inbound.delete(key)
      ctx.deadlines.delete(`xi:${key}`)
    }
  }

  private open (peer: NodeId): void {
    const ctx = this.ctx
    const session = this.session = (this.session + 1) >>> 0
    this.outbound.set(session, { peer, buckets: undefined, changed: false })
    ctx.deadlines.set(`xo:${session}`, ctx.nowMs + ctx.config.syncTimeoutMs)
    count(ctx, 'syncs')
    const bytes = Sync.encode({
      version: MEMBERSHIP_WIRE_VERSION,
      kind: SyncKind.DIGEST,
      session,
      reply: false,
      buckets: Array.from(ctx.table.digest),
      members: [],
      last: true
    })
    ctx.sends.push({ to: peer, channel: 'stream', bytes })
  }

  private answer (from: NodeId, s: SyncMessage): void {
    const ctx = this.ctx
    const differ: number[] = []
    for (let b = 0; b < ctx.table.buckets; b++) if (s.buckets[b] !== ctx.table.digest[b]) differ.push(b)
    if (differ.length === 0 || this.inbound.size >= ctx.config.maxInboundSyncs) {
      // Busy (a crowd joining at once): answer pull-only. The initiator learns our view but pushes nothing,
      // so we hold no session; it reaches us anyway through its own gossip.
      if (differ.length > 0) count(ctx, 'syncs.pull-only')
      this.sendState(from, s.session, true, differ, [])
      return
    }
    const key = `${from}|${s.session}`
    this.inbound.set(key, s.session)
    ctx.deadlines.set(`xi:${key}`, ctx.nowMs + ctx.config.syncTimeoutMs)
    this.sendState(from, s.session, true, differ, differ)
  }

  /**
   * Sends every member in `buckets` as STATE chunks. The first chunk names `wantBack`: the buckets the
   * initiator should push in return.
   */
  private sendState (to: NodeId, session: number, reply: boolean, buckets: number[], wantBack: number[] = []): void {
    const ctx = this.ctx
    if (buckets.length === 0) {
      ctx.sends.push({ to, channel: 'stream', bytes: this.stateHeader(session, reply, wantBack, true) })
      return
    }
    const wanted = new Uint8Array(ctx.table.buckets)
    for (const b of buckets) wanted[b] = 1
    const budget = ctx.config.maxFrameBytes - SYNC_HEADER_RESERVE_BYTES
    const chunks: Uint8Array[][] = [[]]
    let used = 0
    for (const m of ctx.table.values()) {
      if (wanted[m.bucket] === 0) continue
      const rec = encodeRecord(m, ctx.self.id)
      const cost = fieldCost(rec.length)
      const current = chunks[chunks.length - 1]
      if ((used + cost > budget && current.length > 0) || current.length >= MAX_SYNC_MEMBERS) {
        chunks.push([])
        used = 0
      }
      chunks[chunks.length - 1].push(rec)
      used += cost
    }
    count(ctx, 'syncs.records.sent', chunks.reduce((n, c) => n + c.length, 0))
    chunks.forEach((parts, i) => {
      const header = this.stateHeader(session, reply, i === 0 ? wantBack : [], i === chunks.length - 1)
      ctx.sends.push({ to, channel: 'stream', bytes: spliceRepeated(header, MEMBERS_FIELD, parts) })
    })
  }

  private stateHeader (session: number, reply: boolean, buckets: number[], last: boolean): Uint8Array {
    return Sync.encode({ version: MEMBERSHIP_WIRE_VERSION, kind: SyncKind.STATE, session, reply, buckets, members: [], last })
  }

  private merge (from: NodeId, members: WireUpdate[]): boolean {
    let changed = false
    for (const u of members) if (this.news.apply(u, 'sync', from)) changed = true
    return changed
  }
}
