import type { NodeId } from '../core/ids.js'
import { mix32 } from '../core/ids.js'
import {
  MAX_SYNC_MEMBERS,
  MAX_SYNC_SUMMARY,
  MAX_SYNC_WANT,
  MEMBERSHIP_WIRE_VERSION,
  Sync,
  SyncKind,
  type SyncMessage,
  type WireUpdate
} from '../wire/codec.js'
import { fieldCost, spliceRepeated } from '../wire/frame.js'
import { count, drop, type MembershipContext } from './context.js'
import type { Member } from './member-table.js'
import type { News } from './news.js'
import { encodeRecord } from './records.js'

/** The field number of `Sync.members` (see membership.proto). */
const MEMBERS_FIELD = 6

/** Room kept in each frame for the Sync header's scalar fields (version, kind, session, reply, last). */
const SYNC_SCALARS_BYTES = 32

/** A fixed32 entry (a summary number or a want) costs its tag and four bytes. */
const FIXED32_ENTRY_BYTES = 5

interface Outbound {
  peer: NodeId
  /** The responder's differing buckets, from the first SUMMARY chunk. */
  buckets: number[] | undefined
  /** The responder's version hash of each of its members in those buckets. */
  theirs: Map<number, number>
  changed: boolean
}

const STATE_CODE = { alive: 1, suspect: 1, dead: 2, left: 3 } as const

/** What a member's record says, as one hash: two members with equal hashes hold the same record. */
function versionHash (m: Member): number {
  return mix32(m.idHash ^ mix32(m.incarnation * 65599 + m.metaVersion) ^ Math.imul(STATE_CODE[m.state], 0x9e3779b1))
}

/**
 * Push-pull anti-entropy over reliable streams, in two round trips. Where memberlist ships the whole member
 * list every 30 s, a round here opens with a digest of the live members in `digestBuckets` buckets; the
 * responder answers with a summary (8 bytes a member) of only the buckets that differ; the initiator pushes
 * the records that differ and asks for the ones it lacks. A round that agrees costs a few hundred bytes
 * whatever N is, so rounds can be frequent, and a round after a change moves only what changed. A round
 * that changed something makes the next one come sooner, which is what merges healed partitions quickly.
 *
 * Rounds pick any remembered peer, dead ones included: that is how the two sides of a healed partition,
 * each of which holds the other dead, find each other again with no operator action.
 */
export class AntiEntropy {
  private readonly outbound = new Map<number, Outbound>()
  private readonly inbound = new Map<string, number>()
  private session = 0
  private seeds: NodeId[] = []

  constructor (private readonly ctx: MembershipContext, private readonly news: News) {}

  tick (): void {
    const ctx = this.ctx
    const c = ctx.config
    const { live, dead } = ctx.table
    const base = dead.length > 0 ? Math.min(c.pushPullIntervalMs, c.pushPullHealIntervalMs) : c.pushPullIntervalMs
    // ±10% jitter keeps members from falling into lockstep.
    ctx.deadlines.set('sync', ctx.nowMs + base * (0.9 + 0.2 * ctx.rng.float()))
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
    else if (key.startsWith('xi:')) {
      this.inbound.delete(key.slice(3))
      this.inboundWants.delete(key.slice(3))
    }
  }

  onSync (from: NodeId, s: SyncMessage): void {
    const ctx = this.ctx
    switch (s.kind) {
      case SyncKind.DIGEST: this.answer(from, s); return
      case SyncKind.SUMMARY: this.onSummary(from, s); return
      default:
    }
    if (s.reply) {
      // The responder's records: what we asked for, or everything that differed when it was busy.
      const o = this.outbound.get(s.session)
      if (o === undefined || o.peer !== from) { drop(ctx, from, 'unknown-session', `STATE reply for session ${s.session}`); return }
      if (this.merge(from, s.members)) o.changed = true
      if (s.last) this.finish(s.session, o)
      return
    }
    const key = `${from}|${s.session}`
    if (!this.inbound.has(key)) { drop(ctx, from, 'unknown-session', `STATE for session ${s.session}`); return }
    if (this.merge(from, s.members)) this.hurry()
    const wanted = this.inboundWants.get(key) ?? []
    for (const h of s.want) if (wanted.length < MAX_SYNC_WANT * 4) wanted.push(h)
    this.inboundWants.set(key, wanted)
    if (!s.last) return
    this.inbound.delete(key)
    this.inboundWants.delete(key)
    ctx.deadlines.delete(`xi:${key}`)
    if (wanted.length > 0) {
      const want = new Set(wanted)
      const records: Member[] = []
      for (const m of ctx.table.values()) if (want.has(m.idHash)) records.push(m)
      this.sendRecords(from, s.session, true, records, [])
    }
  }

  private readonly inboundWants = new Map<string, number[]>()

  private open (peer: NodeId): void {
    const ctx = this.ctx
    const session = this.session = (this.session + 1) >>> 0
    this.outbound.set(session, { peer, buckets: undefined, theirs: new Map(), changed: false })
    ctx.deadlines.set(`xo:${session}`, ctx.nowMs + ctx.config.syncTimeoutMs)
    count(ctx, 'syncs')
    ctx.sends.push({ to: peer, channel: 'stream', bytes: this.frame(SyncKind.DIGEST, session, false, Array.from(ctx.table.digest), [], [], true) })
  }

  private answer (from: NodeId, s: SyncMessage): void {
    const ctx = this.ctx
    const differ: number[] = []
    for (let b = 0; b < ctx.table.buckets; b++) if (s.buckets[b] !== ctx.table.digest[b]) differ.push(b)
    if (differ.length === 0) {
      ctx.sends.push({ to: from, channel: 'stream', bytes: this.frame(SyncKind.SUMMARY, s.session, true, [], [], [], true) })
      return
    }
    const inBuckets = this.membersIn(differ)
    if (this.inbound.size >= ctx.config.maxInboundSyncs) {
      // Busy (a crowd joining at once): answer pull-only with our records and hold no session. The
      // initiator learns our view; we learn of it through its gossip.
      count(ctx, 'syncs.pull-only')
      this.sendRecords(from, s.session, true, inBuckets, [])
      return
    }
    const key = `${from}|${s.session}`
    this.inbound.set(key, s.session)
    ctx.deadlines.set(`xi:${key}`, ctx.nowMs + ctx.config.syncTimeoutMs)
    const pairs: number[] = []
    for (const m of inBuckets) pairs.push(m.idHash, versionHash(m))
    // Every chunk fits maxFrameBytes: the first carries the bucket indexes (up to 3 bytes each) too.
    const room = ctx.config.maxFrameBytes - SYNC_SCALARS_BYTES - ctx.table.buckets * 3
    const perChunk = Math.max(2, Math.min(MAX_SYNC_SUMMARY, 2 * Math.floor(room / (2 * FIXED32_ENTRY_BYTES))))
    const chunks = Math.max(1, Math.ceil(pairs.length / perChunk))
    for (let i = 0; i < chunks; i++) {
      const part = pairs.slice(i * perChunk, (i + 1) * perChunk)
      ctx.sends.push({ to: from, channel: 'stream', bytes: this.frame(SyncKind.SUMMARY, s.session, true, i === 0 ? differ : [], part, [], i === chunks - 1) })
    }
  }

  private onSummary (from: NodeId, s: SyncMessage): void {
    const ctx = this.ctx
    const o = this.outbound.get(s.session)
    if (o === undefined || o.peer !== from) { drop(ctx, from, 'unknown-session', `SUMMARY for session ${s.session}`); return }
    o.buckets ??= s.buckets
    // A responder cannot summarise more members than anyone may remember: past that, its chunks are ignored.
    for (let i = 0; i + 1 < s.summary.length && o.theirs.size < ctx.config.maxMembers; i += 2) o.theirs.set(s.summary[i], s.summary[i + 1])
    if (!s.last) return
    if (o.buckets.length === 0) { this.finish(s.session, o); return }
    // Push what differs or they lack; ask for what differs or we lack.
    const push: Member[] = []
    const mine = new Map<number, number>()
    for (const m of this.membersIn(o.buckets)) {
      const v = versionHash(m)
      mine.set(m.idHash, v)
      if (o.theirs.get(m.idHash) !== v) push.push(m)
    }
    const want: number[] = []
    for (const [h, v] of o.theirs) if (mine.get(h) !== v) want.push(h)
    if (push.length === 0 && want.length === 0) { this.finish(s.session, o); return }
    this.sendRecords(from, s.session, false, push, want.slice(0, MAX_SYNC_WANT * 4))
    if (want.length === 0) this.finish(s.session, o)
  }

  private finish (session: number, o: Outbound): void {
    this.outbound.delete(session)
    this.ctx.deadlines.delete(`xo:${session}`)
    if (o.changed) this.hurry()
  }

  /**
   * A round changed something: the next comes within `pushPullFastIntervalMs`, not at the round already
   * scheduled. Setting a flag for the round after that one, as this did, left the next round up to
   * `pushPullIntervalMs` away (10 s in the home preset), and a group that formed apart from the rest while
   * twenty agents started at once waited that long to hear of it (ADR 0020).
   */
  private hurry (): void {
    const ctx = this.ctx
    const soon = ctx.nowMs + ctx.config.pushPullFastIntervalMs * (0.9 + 0.2 * ctx.rng.float())
    const next = ctx.deadlines.at('sync')
    if (next === undefined || next > soon) ctx.deadlines.set('sync', soon)
  }

  private membersIn (buckets: number[]): Member[] {
    const ctx = this.ctx
    const wanted = new Uint8Array(ctx.table.buckets)
    for (const b of buckets) wanted[b] = 1
    const out: Member[] = []
    for (const m of ctx.table.values()) if (wanted[m.bucket] === 1) out.push(m)
    return out
  }

  /**
   * Sends `want` and then `records` as STATE chunks, each within `maxFrameBytes` and the wire's entry limits;
   * the last chunk has `last` set. Wants and records travel in separate chunks, so neither eats the other's room.
   */
  private sendRecords (to: NodeId, session: number, reply: boolean, records: Member[], want: number[]): void {
    const ctx = this.ctx
    const budget = ctx.config.maxFrameBytes - SYNC_SCALARS_BYTES
    const wantsPerChunk = Math.max(1, Math.min(MAX_SYNC_WANT, Math.floor(budget / FIXED32_ENTRY_BYTES)))
    const wantChunks: number[][] = []
    for (let i = 0; i < want.length; i += wantsPerChunk) wantChunks.push(want.slice(i, i + wantsPerChunk))
    const chunks: Uint8Array[][] = [[]]
    let used = 0
    for (const m of records) {
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
    if (chunks[chunks.length - 1].length === 0 && (chunks.length > 1 || wantChunks.length > 0)) chunks.pop()
    count(ctx, 'syncs.records.sent', records.length)
    const total = wantChunks.length + chunks.length
    let sent = 0
    for (const wants of wantChunks) {
      ctx.sends.push({ to, channel: 'stream', bytes: this.frame(SyncKind.STATE, session, reply, [], [], wants, ++sent === total) })
    }
    for (const parts of chunks) {
      const header = this.frame(SyncKind.STATE, session, reply, [], [], [], ++sent === total)
      ctx.sends.push({ to, channel: 'stream', bytes: spliceRepeated(header, MEMBERS_FIELD, parts) })
    }
  }

  private frame (kind: SyncKind, session: number, reply: boolean, buckets: number[], summary: number[], want: number[], last: boolean): Uint8Array {
    return Sync.encode({ version: MEMBERSHIP_WIRE_VERSION, kind, session, reply, buckets, members: [], last, summary, want })
  }

  private merge (from: NodeId, members: WireUpdate[]): boolean {
    let changed = false
    for (const u of members) if (this.news.apply(u, 'sync', from)) changed = true
    return changed
  }
}
