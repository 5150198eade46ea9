import { MAX_NODE_ID_BYTES } from '../core/ids.js'
import { Packet, PacketKind, Role, Sync, SyncKind, Update, UpdateKind, type Meta } from './membership.js'

/**
 * Decoding with every bound checked. A peer's bytes never throw out of here: the result is either the
 * message or a `DropReason` that the caller counts (ARCHITECTURE.md rule 4).
 */

/** The membership wire version this code speaks. See docs/protocol/membership.md. */
export const MEMBERSHIP_WIRE_VERSION = 1

export type DropReason =
  | 'oversized'
  | 'malformed'
  | 'version'
  | 'unknown-kind'
  | 'invalid-field'

export type Decoded<T> = { ok: true, value: T } | { ok: false, reason: DropReason, detail: string }

/** Bounds on a member's metadata, checked on every decode. */
export interface MetaLimits {
  maxNameBytes: number
  maxStateBytes: number
  maxMetaBytes: number
}

const encoder = new TextEncoder()

function utf8Length (s: string): number {
  // Most strings here are ASCII; only encode when a non-ASCII character could change the count.
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return encoder.encode(s).length
  return s.length
}

function invalid (detail: string): Decoded<never> {
  return { ok: false, reason: 'invalid-field', detail }
}

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

export function checkMeta (meta: Meta, limits: MetaLimits): string | undefined {
  if (meta.role === undefined || !(meta.role in Role)) return 'meta.role is unknown'
  if (utf8Length(meta.name) > limits.maxNameBytes) return `meta.name is longer than ${limits.maxNameBytes} bytes`
  if (meta.state.length > limits.maxStateBytes) return `meta.state is ${meta.state.length} bytes, over ${limits.maxStateBytes}`
  const size = metaSize(meta)
  if (size > limits.maxMetaBytes) return `meta is ${size} bytes, over ${limits.maxMetaBytes}`
  return undefined
}

export function checkUpdate (u: Update, limits: MetaLimits): string | undefined {
  if (u.kind === UpdateKind.UPDATE_UNSPECIFIED || !(u.kind in UpdateKind)) return 'update kind is unknown'
  const idProblem = checkNodeId(u.node, 'update.node')
  if (idProblem !== undefined) return idProblem
  if (u.kind === UpdateKind.ALIVE) {
    if (u.meta === undefined) return 'an ALIVE update has no meta'
    return checkMeta(u.meta, limits)
  }
  if ((u.kind === UpdateKind.SUSPECT || u.kind === UpdateKind.DEAD) && u.from.length > 0) {
    return checkNodeId(u.from, 'update.from')
  }
  return undefined
}

export function decodePacket (bytes: Uint8Array, maxPacketBytes: number, limits: MetaLimits): Decoded<Packet> {
  if (bytes.length > maxPacketBytes) return { ok: false, reason: 'oversized', detail: `packet of ${bytes.length} bytes, over ${maxPacketBytes}` }
  let p: Packet
  try {
    p = Packet.decode(bytes)
  } catch (err) {
    return { ok: false, reason: 'malformed', detail: (err as Error).message }
  }
  if (p.version !== MEMBERSHIP_WIRE_VERSION) return { ok: false, reason: 'version', detail: `packet version ${p.version}, expected ${MEMBERSHIP_WIRE_VERSION}` }
  if (p.kind === PacketKind.PACKET_UNSPECIFIED || !(p.kind in PacketKind)) return { ok: false, reason: 'unknown-kind', detail: 'packet kind is unknown' }
  if (p.kind !== PacketKind.GOSSIP) {
    const problem = checkNodeId(p.target, 'packet.target')
    if (problem !== undefined) return invalid(problem)
  }
  for (const u of p.updates) {
    const problem = checkUpdate(u, limits)
    if (problem !== undefined) return invalid(problem)
  }
  return { ok: true, value: p }
}

export function decodeSync (bytes: Uint8Array, maxFrameBytes: number, digestBuckets: number, limits: MetaLimits): Decoded<Sync> {
  if (bytes.length > maxFrameBytes) return { ok: false, reason: 'oversized', detail: `sync frame of ${bytes.length} bytes, over ${maxFrameBytes}` }
  let s: Sync
  try {
    s = Sync.decode(bytes)
  } catch (err) {
    return { ok: false, reason: 'malformed', detail: (err as Error).message }
  }
  if (s.version !== MEMBERSHIP_WIRE_VERSION) return { ok: false, reason: 'version', detail: `sync version ${s.version}, expected ${MEMBERSHIP_WIRE_VERSION}` }
  if (s.kind === SyncKind.SYNC_UNSPECIFIED || !(s.kind in SyncKind)) return { ok: false, reason: 'unknown-kind', detail: 'sync kind is unknown' }
  if (s.kind === SyncKind.DIGEST && s.buckets.length !== digestBuckets) {
    return invalid(`digest has ${s.buckets.length} buckets, expected ${digestBuckets}`)
  }
  if (s.kind === SyncKind.STATE) {
    for (const b of s.buckets) if (b >= digestBuckets) return invalid(`bucket index ${b} out of range`)
  }
  for (const u of s.members) {
    const problem = checkUpdate(u, limits)
    if (problem !== undefined) return invalid(problem)
  }
  return { ok: true, value: s }
}

export { Packet, PacketKind, Role, Sync, SyncKind, Update, UpdateKind }
export type { Meta }
