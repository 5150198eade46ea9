import { fnv1a32, mix32, type NodeId } from '../core/ids.js'
import type { MemberMeta, MemberState, MemberView } from './types.js'

/** One member as this node keeps it. Mutated only through `MemberTable.change`, which keeps the indexes. */
export interface Member {
  readonly id: NodeId
  readonly idHash: number
  readonly bucket: number
  state: MemberState
  incarnation: number
  metaVersion: number
  meta: MemberMeta
  sinceMs: number
  /** This member's share of its bucket's digest (0 when it is not live). */
  digestPart: number
  /** The member's record as an encoded Update, built lazily and dropped on every change. */
  encoded: Uint8Array | undefined
}

export type MemberChange = Partial<Pick<Member, 'state' | 'incarnation' | 'metaVersion' | 'meta' | 'sinceMs'>>

/**
 * The member list, with what the protocol needs to stay O(1) per event at thousands of members: arrays of
 * live and dead peers for random choice (swap-remove keeps them dense and deterministic), and per-bucket
 * digests of the live members, updated incrementally, for anti-entropy.
 */
export class MemberTable {
  private readonly members = new Map<NodeId, Member>()
  /** Alive or suspect peers (never self). */
  readonly live: NodeId[] = []
  /** Dead peers still remembered: anti-entropy offers them a round now and then, so partitions heal. */
  readonly dead: NodeId[] = []
  private readonly liveAt = new Map<NodeId, number>()
  private readonly deadAt = new Map<NodeId, number>()
  readonly digest: Uint32Array

  constructor (readonly selfId: NodeId, readonly buckets: number) {
    this.digest = new Uint32Array(buckets)
  }

  get size (): number { return this.members.size }

  get (id: NodeId): Member | undefined { return this.members.get(id) }

  values (): IterableIterator<Member> { return this.members.values() }

  /** The members in bucket `b`. Linear in N; used only by anti-entropy on a bucket that differs. */
  inBucket (b: number): Member[] {
    const out: Member[] = []
    for (const m of this.members.values()) if (m.bucket === b) out.push(m)
    return out
  }

  add (id: NodeId, state: MemberState, incarnation: number, metaVersion: number, meta: MemberMeta, nowMs: number): Member {
    const idHash = fnv1a32(id)
    const m: Member = {
      id,
      idHash,
      bucket: idHash % this.buckets,
      state,
      incarnation,
      metaVersion,
      meta,
      sinceMs: nowMs,
      digestPart: 0,
      encoded: undefined
    }
    this.members.set(id, m)
    this.reindex(m)
    return m
  }

  change (m: Member, change: MemberChange): void {
    Object.assign(m, change)
    m.encoded = undefined
    this.reindex(m)
  }

  remove (m: Member): void {
    m.state = 'left'
    this.members.delete(m.id)
    this.setDigest(m, 0)
    removeFrom(this.live, this.liveAt, m.id)
    removeFrom(this.dead, this.deadAt, m.id)
  }

  view (m: Member): MemberView {
    return { id: m.id, state: m.state, incarnation: m.incarnation, metaVersion: m.metaVersion, meta: m.meta, sinceMs: m.sinceMs }
  }

  private reindex (m: Member): void {
    const isLive = m.state === 'alive' || m.state === 'suspect'
    this.setDigest(m, isLive ? mix32(m.idHash ^ mix32(m.incarnation * 65599 + m.metaVersion)) : 0)
    if (m.id === this.selfId) return
    if (isLive) addTo(this.live, this.liveAt, m.id)
    else removeFrom(this.live, this.liveAt, m.id)
    if (m.state === 'dead') addTo(this.dead, this.deadAt, m.id)
    else removeFrom(this.dead, this.deadAt, m.id)
  }

  private setDigest (m: Member, part: number): void {
    this.digest[m.bucket] = (this.digest[m.bucket] ^ m.digestPart ^ part) >>> 0
    m.digestPart = part
  }
}

function addTo (list: NodeId[], at: Map<NodeId, number>, id: NodeId): void {
  if (at.has(id)) return
  at.set(id, list.length)
  list.push(id)
}

function removeFrom (list: NodeId[], at: Map<NodeId, number>, id: NodeId): void {
  const i = at.get(id)
  if (i === undefined) return
  const last = list.pop() as NodeId
  at.delete(id)
  if (last !== id) {
    list[i] = last
    at.set(last, i)
  }
}
