import { peerIdFromString } from '@libp2p/peer-id'
import type * as Y from 'yjs'
import { MAX_DENY_REASON_BYTES, MAX_SPEC_DEPTH, MAX_VOTERS, MAX_WORKLOAD_NAME_BYTES, MAX_WORKLOAD_SPEC_BYTES } from './constants.js'

/**
 * The shape of the desired-state Yjs document, and the typed reads and checks over it. The rule by which
 * concurrent edits of each field converge is written in docs/protocol/desired-state.md ("Concurrency").
 *
 * Top-level maps (Yjs identifies a root type by its name, so these names are the schema; an incompatible
 * change takes new names rather than reinterpreting old ones):
 *
 * - `workloads`: workload name -> spec, a plain JSON object, replaced whole.
 * - `cluster`: `voters` -> `VotersRecord`, replaced whole.
 * - `denied`: peer id -> `DenyRecord`.
 * - `drains`, `moves`, `scale`, `stateHomes`: operations on workloads (operations.ts).
 * - `screens`, `power`: reserved for screen layouts and power policy, with the same per-key rule.
 *
 * Every member may write anything Yjs can encode, so a read never trusts a value's shape: entries that are
 * not what the schema says are skipped (and counted by `countMalformed`), never thrown on.
 */

/** The names of the document's root maps. */
export const ROOT = {
  workloads: 'workloads',
  cluster: 'cluster',
  denied: 'denied',
  /** Node peer id -> `DrainRecord`: nodes being emptied. */
  drains: 'drains',
  /** `<workload>/<index>` -> `MoveRecord`: where a user asked a slot to run. */
  moves: 'moves',
  /** Workload name -> `ScaleRecord`: instance counts of cluster-aware workloads. */
  scale: 'scale',
  /** `<workload>/<index>|<peer id>` -> `StateHomeRecord`: which node's copy of a slot's state is newest. */
  stateHomes: 'stateHomes',
  /** Reserved: screen layouts (the display issue). */
  screens: 'screens',
  /** Reserved: power policy (the power issue). */
  power: 'power'
} as const

/** The key of the voters record in the `cluster` map. */
export const VOTERS_KEY = 'voters'

export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject
export interface JsonObject { [key: string]: JsonValue }

/** Why a peer is denied, and who said so when. */
export interface DenyRecord {
  /** The peer id of the node where the deny was made. */
  by: string
  /** When, in ms since the epoch, by that node's clock: for people, never for ordering. */
  atMs: number
  /** Why, for a person. */
  reason: string
}

/** The lease voters, as one value. */
export interface VotersRecord {
  /** Peer ids of the servers that vote on leases, sorted, without repeats. */
  peers: string[]
  /** The peer id of the node that set them. */
  by: string
  /** When, in ms since the epoch, by that node's clock. */
  atMs: number
}

/** Why a local edit was refused. */
export type EditRefusal =
  | 'invalid-workload-name'
  | 'invalid-workload-spec'
  | 'workload-spec-too-large'
  | 'invalid-peer-id'
  | 'too-many-voters'
  | 'deny-reason-too-long'
  | 'document-full'
  | 'store-closed'
  | 'store-failed'

/** A local edit the store would not make. `reason` is stable, for counters and callers; the message is for a person. */
export class DesiredStateRefusedError extends Error {
  constructor (readonly reason: EditRefusal, detail: string) {
    super(`desired state refused the edit (${reason}): ${detail}`)
    this.name = 'DesiredStateRefusedError'
  }
}

const utf8 = new TextEncoder()

/** Checks a workload name; throws `DesiredStateRefusedError`. */
export function checkWorkloadName (name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || utf8.encode(name).byteLength > MAX_WORKLOAD_NAME_BYTES) {
    throw new DesiredStateRefusedError('invalid-workload-name', `a workload name is 1 to ${MAX_WORKLOAD_NAME_BYTES} bytes of text`)
  }
}

/**
 * Checks a spec and returns the copy to store: a plain JSON object within the bounds. The copy keeps a later
 * change to the caller's object from reaching the document behind Yjs's back. Validating what a spec means
 * is @dreammesh/protocols' job; here it is opaque.
 */
export function checkWorkloadSpec (spec: unknown, maxSpecBytes = MAX_WORKLOAD_SPEC_BYTES): JsonObject {
  if (!isJsonObject(spec, MAX_SPEC_DEPTH)) {
    throw new DesiredStateRefusedError('invalid-workload-spec', `a spec is a plain JSON object, at most ${MAX_SPEC_DEPTH} levels deep`)
  }
  const text = JSON.stringify(spec)
  const bytes = utf8.encode(text).byteLength
  if (bytes > maxSpecBytes) {
    throw new DesiredStateRefusedError('workload-spec-too-large', `the spec is ${bytes} bytes of JSON, over ${maxSpecBytes}`)
  }
  return JSON.parse(text) as JsonObject
}

/** Checks a peer id string (a libp2p peer id, as `peerId.toString()` prints it). */
export function checkPeerId (peer: unknown): asserts peer is string {
  if (!isPeerId(peer)) throw new DesiredStateRefusedError('invalid-peer-id', `${String(peer).slice(0, 80)} is not a peer id`)
}

/** Checks voters and returns them sorted without repeats. */
export function checkVoters (peers: unknown): string[] {
  if (!Array.isArray(peers)) throw new DesiredStateRefusedError('invalid-peer-id', 'voters are a list of peer ids')
  for (const peer of peers) checkPeerId(peer)
  const unique = [...new Set(peers as string[])].sort()
  if (unique.length > MAX_VOTERS) throw new DesiredStateRefusedError('too-many-voters', `${unique.length} voters, over ${MAX_VOTERS}`)
  return unique
}

/** Checks a deny reason. */
export function checkDenyReason (reason: unknown): asserts reason is string {
  if (typeof reason !== 'string' || utf8.encode(reason).byteLength > MAX_DENY_REASON_BYTES) {
    throw new DesiredStateRefusedError('deny-reason-too-long', `a reason is text of at most ${MAX_DENY_REASON_BYTES} bytes`)
  }
}

/** The well-formed workloads, as copies. */
export function readWorkloads (doc: Y.Doc): Map<string, JsonObject> {
  const out = new Map<string, JsonObject>()
  for (const [name, value] of doc.getMap(ROOT.workloads).entries()) {
    if (isWellFormedWorkload(name, value)) out.set(name, structuredClone(value))
  }
  return out
}

/** One workload's spec (a copy), or undefined when absent or malformed. */
export function readWorkload (doc: Y.Doc, name: string): JsonObject | undefined {
  const value: unknown = doc.getMap(ROOT.workloads).get(name)
  return isWellFormedWorkload(name, value) ? structuredClone(value) : undefined
}

/** The voters record, or undefined when never set (or malformed). */
export function readVoters (doc: Y.Doc): VotersRecord | undefined {
  const value: unknown = doc.getMap(ROOT.cluster).get(VOTERS_KEY)
  return isVotersRecord(value) ? structuredClone(value) : undefined
}

/** The well-formed deny records, by peer id. */
export function readDenied (doc: Y.Doc): Map<string, DenyRecord> {
  const out = new Map<string, DenyRecord>()
  for (const [peer, value] of doc.getMap(ROOT.denied).entries()) {
    if (isPeerId(peer) && isDenyRecord(value)) out.set(peer, { ...value })
  }
  return out
}

/**
 * Whether `peer` is denied. Any entry under its id counts, well-formed or not: a member that wrote a deny
 * in a shape this version does not know still meant to deny, and revocation errs on the safe side.
 */
export function isDeniedIn (doc: Y.Doc, peer: string): boolean {
  return doc.getMap(ROOT.denied).has(peer)
}

/** Entries of the known maps that a typed read skips: written by a buggy or newer member. */
export function countMalformed (doc: Y.Doc): number {
  let n = 0
  for (const [name, value] of doc.getMap(ROOT.workloads).entries()) if (!isWellFormedWorkload(name, value)) n++
  for (const [peer, value] of doc.getMap(ROOT.denied).entries()) if (!isPeerId(peer) || !isDenyRecord(value)) n++
  const voters: unknown = doc.getMap(ROOT.cluster).get(VOTERS_KEY)
  if (voters !== undefined && !isVotersRecord(voters)) n++
  return n
}

function isWellFormedWorkload (name: string, value: unknown): value is JsonObject {
  if (name.length === 0 || utf8.encode(name).byteLength > MAX_WORKLOAD_NAME_BYTES) return false
  // The size bound is the writer's; a reader only needs the shape to hand it on safely.
  return isJsonObject(value, MAX_SPEC_DEPTH)
}

function isDenyRecord (value: unknown): value is DenyRecord {
  if (!isPlainObject(value)) return false
  const v = value as Partial<DenyRecord>
  return isPeerId(v.by) && typeof v.atMs === 'number' && Number.isFinite(v.atMs) && typeof v.reason === 'string'
}

function isVotersRecord (value: unknown): value is VotersRecord {
  if (!isPlainObject(value)) return false
  const v = value as Partial<VotersRecord>
  return Array.isArray(v.peers) && v.peers.length <= MAX_VOTERS && v.peers.every(isPeerId) &&
    isPeerId(v.by) && typeof v.atMs === 'number' && Number.isFinite(v.atMs)
}

export function isPeerId (value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 128) return false
  try {
    peerIdFromString(value)
    return true
  } catch {
    return false
  }
}

export function isPlainObject (value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === Object.prototype || proto === null
}

function isJsonObject (value: unknown, depth: number): value is JsonObject {
  return isPlainObject(value) && isJsonValue(value, depth)
}

function isJsonValue (value: unknown, depth: number): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true
  if (typeof value === 'number') return Number.isFinite(value)
  if (depth <= 0) return false
  if (Array.isArray(value)) return value.every(v => isJsonValue(v, depth - 1))
  if (!isPlainObject(value)) return false
  return Object.values(value).every(v => isJsonValue(v, depth - 1))
}
