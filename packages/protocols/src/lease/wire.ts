import { MAX_NODE_ID_BYTES } from '../core/ids.js'
import { HANDOFF_SPAN, handoffsOf } from './bounds.js'
import { LeaseKind, LeaseMessage } from './lease-messages.js'

/**
 * The lease codec (schema: lease-messages.proto; grammar and rules: docs/protocol/lease.md). Decoding never
 * throws: a peer's bytes give the message or a reason that the machine counts and reports (ARCHITECTURE.md
 * rule 4). Encoding is of messages this code built, which are valid by construction.
 */

/** The lease wire version this code speaks. Another version is dropped (`version`). */
export const LEASE_WIRE_VERSION = 1

/** The longest resource key, in UTF-8 bytes ("w/<workload>/<index>", "input/focus", "display/<output>"). */
export const MAX_RESOURCE_KEY_BYTES = 128

/** The most voters one message lists (lease-messages.proto's limit). */
export const MAX_WIRE_VOTERS = 15

/** The longest reason string, in bytes. */
export const MAX_REASON_BYTES = 64

export type LeaseDropReason = 'oversized' | 'malformed' | 'version' | 'unknown-kind' | 'invalid-field'

export type DecodedLease = { ok: true, value: LeaseMessage } | { ok: false, reason: LeaseDropReason, detail: string }

export { LeaseKind, type LeaseMessage }

const KINDS = new Set<LeaseKind>([
  LeaseKind.REQUEST, LeaseKind.RENEW, LeaseKind.GRANT, LeaseKind.DENY, LeaseKind.RELEASE, LeaseKind.HANDOFF_ASK, LeaseKind.HANDOFF,
  LeaseKind.VOTERS_PREPARE, LeaseKind.VOTERS_PROMISE, LeaseKind.VOTERS_ACCEPT, LeaseKind.VOTERS_ACCEPTED, LeaseKind.VOTERS_COMMIT, LeaseKind.VOTERS_NACK
])

const encoder = new TextEncoder()

function byteLength (s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return encoder.encode(s).length
  return s.length
}

/** A problem with a resource key, or undefined. Keys are opaque to leases; only their size is checked. */
export function checkResourceKey (key: string): string | undefined {
  if (typeof key !== 'string' || key.length === 0) return 'resource is empty'
  if (byteLength(key) > MAX_RESOURCE_KEY_BYTES) return `resource is longer than ${MAX_RESOURCE_KEY_BYTES} bytes`
  return undefined
}

function checkId (id: string, field: string, mayBeEmpty: boolean): string | undefined {
  if (id.length === 0) return mayBeEmpty ? undefined : `${field} is empty`
  if (byteLength(id) > MAX_NODE_ID_BYTES) return `${field} is longer than ${MAX_NODE_ID_BYTES} bytes`
  return undefined
}

const isLeaseKind = (k: LeaseKind): boolean => k === LeaseKind.REQUEST || k === LeaseKind.RENEW || k === LeaseKind.GRANT ||
  k === LeaseKind.DENY || k === LeaseKind.RELEASE || k === LeaseKind.HANDOFF_ASK || k === LeaseKind.HANDOFF

/** Per-kind checks beyond the schema: what a machine would otherwise have to distrust field by field. */
function checkFields (m: LeaseMessage): string | undefined {
  if (isLeaseKind(m.kind)) {
    const p = checkResourceKey(m.resource)
    if (p !== undefined) return p
  }
  if (!Number.isSafeInteger(m.epoch) || m.epoch < 0) return 'epoch is not a safe integer'
  if (!Number.isSafeInteger(m.recordEpoch) || m.recordEpoch < 0) return 'recordEpoch is not a safe integer'
  if (!Number.isSafeInteger(m.ballot) || m.ballot < 0) return 'ballot is not a safe integer'
  if (!Number.isSafeInteger(m.acceptedBallot) || m.acceptedBallot < 0) return 'acceptedBallot is not a safe integer'
  const holder = checkId(m.holder, 'holder', true)
  if (holder !== undefined) return holder
  if (byteLength(m.reason) > MAX_REASON_BYTES) return `reason is longer than ${MAX_REASON_BYTES} bytes`
  if (m.voters.length > MAX_WIRE_VOTERS) return `more than ${MAX_WIRE_VOTERS} voters`
  for (const v of m.voters) {
    const p = checkId(v, 'voter', false)
    if (p !== undefined) return p
  }
  if (new Set(m.voters).size !== m.voters.length) return 'voters repeat'
  switch (m.kind) {
    case LeaseKind.REQUEST:
      // A quorum grants only fresh ballots; a handed-off epoch is confirmed by RENEW (bounds.ts, HANDOFF_SPAN).
      if (m.epoch === 0 || handoffsOf(m.epoch) !== 0) return 'a REQUEST must name a fresh ballot epoch'
      return undefined
    case LeaseKind.RENEW:
      if (m.epoch < HANDOFF_SPAN) return 'a RENEW must name a granted epoch'
      if (m.holder !== '' && handoffsOf(m.epoch) === 0) return 'a RENEW after a handoff must name a handed-off epoch'
      return undefined
    case LeaseKind.HANDOFF:
      if (handoffsOf(m.epoch) === 0) return 'a HANDOFF must name a handed-off epoch'
      return undefined
    case LeaseKind.VOTERS_PREPARE: case LeaseKind.VOTERS_ACCEPT: case LeaseKind.VOTERS_COMMIT:
      if (m.votersVersion === 0) return 'a voter-set message must name a version'
      if (m.kind !== LeaseKind.VOTERS_PREPARE && m.voters.length === 0) return 'an empty voter set'
      return undefined
    default:
      return undefined
  }
}

/** Reads one lease message. Never throws. */
export function decodeLeaseMessage (bytes: Uint8Array, maxMessageBytes: number): DecodedLease {
  if (bytes.length > maxMessageBytes) return { ok: false, reason: 'oversized', detail: `${bytes.length} bytes, over ${maxMessageBytes}` }
  let m: LeaseMessage
  try {
    m = LeaseMessage.decode(bytes, { limits: { voters: MAX_WIRE_VOTERS } })
  } catch (err) {
    const detail = (err as Error).message
    // protons refuses an enum number it does not know: a kind from a newer version, not garbage.
    return { ok: false, reason: /enum/i.test(detail) ? 'unknown-kind' : 'malformed', detail }
  }
  if (m.version !== LEASE_WIRE_VERSION) return { ok: false, reason: 'version', detail: `version ${m.version}, this node speaks ${LEASE_WIRE_VERSION}` }
  if (!KINDS.has(m.kind)) return { ok: false, reason: 'unknown-kind', detail: `kind ${String(m.kind)}` }
  const problem = checkFields(m)
  return problem === undefined ? { ok: true, value: m } : { ok: false, reason: 'invalid-field', detail: problem }
}

/** A message with every field at its default, to spread the fields a kind uses over. */
export function leaseMessage (kind: LeaseKind, fields: Partial<LeaseMessage>): LeaseMessage {
  return {
    version: LEASE_WIRE_VERSION,
    kind,
    resource: '',
    epoch: 0,
    round: 0,
    holder: '',
    recordEpoch: 0,
    reason: '',
    budgetMs: 0,
    votersVersion: 0,
    ballot: 0,
    voters: [],
    acceptedBallot: 0,
    ...fields
  }
}

export function encodeLeaseMessage (m: LeaseMessage): Uint8Array {
  return LeaseMessage.encode(m)
}
