import { MAX_NODE_ID_BYTES } from '../core/ids.js'
import { Meta, Packet, PacketKind, Role, Sync, SyncKind, Update, UpdateKind } from './membership.js'
import { ProtoReader, WireFormatError } from './reader.js'

/**
 * Decoding with every bound checked. A peer's bytes never throw out of here: the result is either the
 * message or a `DropReason` that the caller counts (ARCHITECTURE.md rule 4). The schema is
 * membership.proto; protons encodes, and `ProtoReader` decodes the hot messages lazily.
 */

/** The membership wire version this code speaks. See docs/protocol/membership.md. */
export const MEMBERSHIP_WIRE_VERSION = 1

/** Bounds from membership.proto's `(protons.options).limit`, enforced here too. */
export const MAX_PACKET_UPDATES = 64
export const MAX_SYNC_MEMBERS = 1024
export const MAX_SYNC_BUCKETS = 256
export const MAX_SYNC_SUMMARY = 8192
export const MAX_SYNC_WANT = 4096

export type DropReason =
  | 'oversized'
  | 'malformed'
  | 'version'
  | 'unknown-kind'
  | 'invalid-field'

export type Decoded<T> = { ok: true, value: T } | { ok: false, reason: DropReason, detail: string }

/** Bounds on a member's metadata, checked whenever metadata is decoded. */
export interface MetaLimits {
  maxNameBytes: number
  maxStateBytes: number
  maxMetaBytes: number
}

/**
 * One piece of membership news as read off the wire: its scalar fields, its metadata still encoded, and its
 * own bytes, so that passing it on costs no re-encoding.
 */
export interface WireUpdate {
  kind: UpdateKind
  node: string
  incarnation: number
  from: string
  metaVersion: number
  metaBytes: Uint8Array | undefined
  raw: Uint8Array
}

export interface PacketMessage {
  version: number
  kind: PacketKind
  seq: number
  /** PING_REQ: the member to probe. */
  target: string
  /** PING, ACK, NACK: fnv1a32 of the target's id. */
  targetHash: number
  updates: WireUpdate[]
}

export interface SyncMessage {
  version: number
  kind: SyncKind
  session: number
  reply: boolean
  buckets: number[]
  members: WireUpdate[]
  last: boolean
  /** SUMMARY: (member hash, version hash) pairs, flattened. */
  summary: number[]
  /** STATE from the initiator: member hashes whose records it wants. */
  want: number[]
}

const UPDATE_KINDS = [UpdateKind.UPDATE_UNSPECIFIED, UpdateKind.ALIVE, UpdateKind.SUSPECT, UpdateKind.DEAD, UpdateKind.LEFT]
const PACKET_KINDS = [PacketKind.PACKET_UNSPECIFIED, PacketKind.PING, PacketKind.ACK, PacketKind.NACK, PacketKind.PING_REQ, PacketKind.GOSSIP]
const SYNC_KINDS = [SyncKind.SYNC_UNSPECIFIED, SyncKind.DIGEST, SyncKind.STATE, SyncKind.SUMMARY]

const encoder = new TextEncoder()

function utf8Length (s: string): number {
  // Most strings here are ASCII; only encode when a non-ASCII character could change the count.
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return encoder.encode(s).length
  return s.length
}

/** A problem with a node id, or undefined. */
export function checkNodeId (id: string, field: string): string | undefined {
  if (id.length === 0) return `${field} is empty`
  if (id.length > MAX_NODE_ID_BYTES || utf8Length(id) > MAX_NODE_ID_BYTES) return `${field} is longer than ${MAX_NODE_ID_BYTES} bytes`
  return undefined
}

/** The bytes `meta` takes on the wire, near enough to bound it (each entry's tag and length counted as 2). */
export function metaSize (meta: Meta): number {
  let total = utf8Length(meta.name) + meta.state.length + 6
  for (const a of meta.addrs) total += utf8Length(a) + 2
  for (const t of meta.tags) total += utf8Length(t) + 2
  return total
}

/** Bounds from membership.proto's `(protons.options).limit` on Meta. */
export const MAX_META_ADDRS = 16
export const MAX_META_TAGS = 32

export function checkMeta (meta: Meta, limits: MetaLimits): string | undefined {
  if (meta.role !== Role.SERVER && meta.role !== Role.CLIENT) return 'meta.role is unknown'
  if (meta.addrs.length > MAX_META_ADDRS) return `meta has ${meta.addrs.length} addresses, over ${MAX_META_ADDRS}`
  if (meta.tags.length > MAX_META_TAGS) return `meta has ${meta.tags.length} tags, over ${MAX_META_TAGS}`
  if (utf8Length(meta.name) > limits.maxNameBytes) return `meta.name is longer than ${limits.maxNameBytes} bytes`
  if (meta.state.length > limits.maxStateBytes) return `meta.state is ${meta.state.length} bytes, over ${limits.maxStateBytes}`
  const size = metaSize(meta)
  if (size > limits.maxMetaBytes) return `meta is ${size} bytes, over ${limits.maxMetaBytes}`
  return undefined
}

/** Decodes and checks the metadata of an ALIVE update, when it is about to be used. */
export function decodeNewsMeta (news: WireUpdate, limits: MetaLimits): Decoded<Meta> {
  if (news.metaBytes === undefined) return { ok: false, reason: 'invalid-field', detail: 'an ALIVE update has no meta' }
  if (news.metaBytes.length > limits.maxMetaBytes + 64) {
    return { ok: false, reason: 'invalid-field', detail: `meta is ${news.metaBytes.length} bytes, over ${limits.maxMetaBytes}` }
  }
  let meta: Meta
  try {
    meta = Meta.decode(news.metaBytes)
  } catch (err) {
    return { ok: false, reason: 'malformed', detail: `meta: ${(err as Error).message}` }
  }
  const problem = checkMeta(meta, limits)
  return problem === undefined ? { ok: true, value: meta } : { ok: false, reason: 'invalid-field', detail: problem }
}

/** WireUpdate made locally, in the same shape as news read off the wire. */
export function newsOf (u: Update): WireUpdate {
  const raw = Update.encode(u)
  return {
    kind: u.kind,
    node: u.node,
    incarnation: u.incarnation,
    from: u.from,
    metaVersion: u.metaVersion,
    metaBytes: u.meta === undefined ? undefined : Meta.encode(u.meta),
    raw
  }
}

/**
 * A field this reader did not match: an unknown field number is skipped (forward compatibility), but a
 * known number with the wrong wire type is malformed.
 */
function skipOther (r: ProtoReader, tag: number, knownFields: number): void {
  const field = tag >>> 3
  if (field >= 1 && field <= knownFields) throw new WireFormatError(`field ${field} has the wrong wire type ${tag & 7}`)
  r.skip(tag & 7)
}

function readNews (raw: Uint8Array): WireUpdate {
  const r = new ProtoReader(raw)
  const n: WireUpdate = { kind: UpdateKind.UPDATE_UNSPECIFIED, node: '', incarnation: 0, from: '', metaVersion: 0, metaBytes: undefined, raw }
  while (!r.done) {
    const tag = r.varint()
    switch (tag) {
      case (1 << 3): n.kind = UPDATE_KINDS[r.uint32()] ?? UpdateKind.UPDATE_UNSPECIFIED; break
      case (2 << 3) | 2: n.node = r.string(); break
      case (3 << 3): n.incarnation = r.uint32(); break
      case (4 << 3) | 2: n.from = r.string(); break
      case (5 << 3): n.metaVersion = r.uint32(); break
      case (6 << 3) | 2: n.metaBytes = r.bytes(); break
      default: skipOther(r, tag, 6)
    }
  }
  return n
}

function checkNews (n: WireUpdate): string | undefined {
  if (n.kind === UpdateKind.UPDATE_UNSPECIFIED) return 'update kind is unknown'
  const idProblem = checkNodeId(n.node, 'update.node')
  if (idProblem !== undefined) return idProblem
  if (n.kind === UpdateKind.ALIVE && n.metaBytes === undefined) return 'an ALIVE update has no meta'
  if ((n.kind === UpdateKind.SUSPECT || n.kind === UpdateKind.DEAD) && n.from.length > 0) return checkNodeId(n.from, 'update.from')
  return undefined
}

function malformed (err: unknown): Decoded<never> {
  if (err instanceof WireFormatError) return { ok: false, reason: 'malformed', detail: err.message }
  return { ok: false, reason: 'malformed', detail: String(err) }
}

export function decodePacket (bytes: Uint8Array, maxPacketBytes: number): Decoded<PacketMessage> {
  if (bytes.length > maxPacketBytes) return { ok: false, reason: 'oversized', detail: `packet of ${bytes.length} bytes, over ${maxPacketBytes}` }
  const p: PacketMessage = { version: 0, kind: PacketKind.PACKET_UNSPECIFIED, seq: 0, target: '', targetHash: 0, updates: [] }
  try {
    const r = new ProtoReader(bytes)
    while (!r.done) {
      const tag = r.varint()
      switch (tag) {
        case (1 << 3): p.version = r.uint32(); break
        case (2 << 3): p.kind = PACKET_KINDS[r.uint32()] ?? PacketKind.PACKET_UNSPECIFIED; break
        case (3 << 3): p.seq = r.uint32(); break
        case (4 << 3) | 2: p.target = r.string(); break
        case (6 << 3) | 5: p.targetHash = r.fixed32(); break
        case (5 << 3) | 2:
          if (p.updates.length >= MAX_PACKET_UPDATES) throw new WireFormatError(`more than ${MAX_PACKET_UPDATES} updates`)
          p.updates.push(readNews(r.bytes()))
          break
        default: skipOther(r, tag, 6)
      }
    }
  } catch (err) {
    return malformed(err)
  }
  if (p.version !== MEMBERSHIP_WIRE_VERSION) return { ok: false, reason: 'version', detail: `packet version ${p.version}, expected ${MEMBERSHIP_WIRE_VERSION}` }
  if (p.kind === PacketKind.PACKET_UNSPECIFIED) return { ok: false, reason: 'unknown-kind', detail: 'packet kind is unknown' }
  if (p.kind === PacketKind.PING_REQ) {
    const problem = checkNodeId(p.target, 'packet.target')
    if (problem !== undefined) return { ok: false, reason: 'invalid-field', detail: problem }
  }
  for (const u of p.updates) {
    const problem = checkNews(u)
    if (problem !== undefined) return { ok: false, reason: 'invalid-field', detail: problem }
  }
  return { ok: true, value: p }
}

export function decodeSync (bytes: Uint8Array, maxFrameBytes: number, digestBuckets: number): Decoded<SyncMessage> {
  if (bytes.length > maxFrameBytes) return { ok: false, reason: 'oversized', detail: `sync frame of ${bytes.length} bytes, over ${maxFrameBytes}` }
  const s: SyncMessage = { version: 0, kind: SyncKind.SYNC_UNSPECIFIED, session: 0, reply: false, buckets: [], members: [], last: false, summary: [], want: [] }
  try {
    const r = new ProtoReader(bytes)
    while (!r.done) {
      const tag = r.varint()
      switch (tag) {
        case (1 << 3): s.version = r.uint32(); break
        case (2 << 3): s.kind = SYNC_KINDS[r.uint32()] ?? SyncKind.SYNC_UNSPECIFIED; break
        case (3 << 3): s.session = r.uint32(); break
        case (4 << 3): s.reply = r.varint() !== 0; break
        case (5 << 3): case (5 << 3) | 2: r.repeatedUint32(tag & 7, s.buckets, MAX_SYNC_BUCKETS); break
        case (6 << 3) | 2:
          if (s.members.length >= MAX_SYNC_MEMBERS) throw new WireFormatError(`more than ${MAX_SYNC_MEMBERS} members`)
          s.members.push(readNews(r.bytes()))
          break
        case (7 << 3): s.last = r.varint() !== 0; break
        case (8 << 3) | 5: case (8 << 3) | 2: r.repeatedFixed32(tag & 7, s.summary, MAX_SYNC_SUMMARY); break
        case (9 << 3) | 5: case (9 << 3) | 2: r.repeatedFixed32(tag & 7, s.want, MAX_SYNC_WANT); break
        default: skipOther(r, tag, 9)
      }
    }
  } catch (err) {
    return malformed(err)
  }
  if (s.version !== MEMBERSHIP_WIRE_VERSION) return { ok: false, reason: 'version', detail: `sync version ${s.version}, expected ${MEMBERSHIP_WIRE_VERSION}` }
  if (s.kind === SyncKind.SYNC_UNSPECIFIED) return { ok: false, reason: 'unknown-kind', detail: 'sync kind is unknown' }
  if (s.kind === SyncKind.DIGEST && s.buckets.length !== digestBuckets) {
    return { ok: false, reason: 'invalid-field', detail: `digest has ${s.buckets.length} buckets, expected ${digestBuckets}` }
  }
  if (s.kind === SyncKind.STATE || s.kind === SyncKind.SUMMARY) {
    for (const b of s.buckets) if (b >= digestBuckets) return { ok: false, reason: 'invalid-field', detail: `bucket index ${b} out of range` }
  }
  if (s.summary.length % 2 !== 0) return { ok: false, reason: 'invalid-field', detail: 'summary has an odd number of entries' }
  for (const u of s.members) {
    const problem = checkNews(u)
    if (problem !== undefined) return { ok: false, reason: 'invalid-field', detail: problem }
  }
  return { ok: true, value: s }
}

export { Meta, Packet, PacketKind, Role, Sync, SyncKind, Update, UpdateKind }
