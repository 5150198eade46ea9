import type { NodeId } from '../core/ids.js'
import { Role, Update, UpdateKind, type Meta } from '../wire/codec.js'
import type { Member } from './member-table.js'
import type { MemberMeta } from './types.js'

/** Conversions between the domain's member records and the wire's `Update`. */

export function toWireMeta (meta: MemberMeta): Meta {
  return {
    name: meta.name,
    role: meta.role === 'server' ? Role.SERVER : Role.CLIENT,
    addrs: meta.addrs,
    tags: meta.tags,
    state: meta.state
  }
}

export function fromWireMeta (meta: Meta): MemberMeta {
  return {
    name: meta.name,
    role: meta.role === Role.SERVER ? 'server' : 'client',
    addrs: meta.addrs,
    tags: meta.tags,
    state: meta.state
  }
}

export function aliveUpdate (m: Member): Update {
  return { kind: UpdateKind.ALIVE, node: m.id, incarnation: m.incarnation, from: '', metaVersion: m.metaVersion, meta: toWireMeta(m.meta) }
}

export function suspectUpdate (node: NodeId, incarnation: number, from: NodeId): Update {
  return { kind: UpdateKind.SUSPECT, node, incarnation, from, metaVersion: 0 }
}

export function deadUpdate (node: NodeId, incarnation: number, from: NodeId): Update {
  return { kind: UpdateKind.DEAD, node, incarnation, from, metaVersion: 0 }
}

export function leftUpdate (node: NodeId, incarnation: number): Update {
  return { kind: UpdateKind.LEFT, node, incarnation, from: '', metaVersion: 0 }
}

/**
 * The member as anti-entropy sends it: a live member (alive or suspect) as ALIVE with its metadata, so a
 * joiner learns it (a suspicion is the sender's opinion and travels by gossip); dead and left as such.
 * Cached on the member until it changes.
 */
export function encodeRecord (m: Member, self: NodeId): Uint8Array {
  if (m.encoded !== undefined) return m.encoded
  let u: Update
  if (m.state === 'dead') u = deadUpdate(m.id, m.incarnation, self)
  else if (m.state === 'left') u = leftUpdate(m.id, m.incarnation)
  else u = aliveUpdate(m)
  m.encoded = Update.encode(u)
  return m.encoded
}
