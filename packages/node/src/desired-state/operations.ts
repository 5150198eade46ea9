import type * as Y from 'yjs'
import { DesiredStateRefusedError, isPeerId, isPlainObject, ROOT } from './document.js'
import { MAX_WORKLOAD_NAME_BYTES } from './constants.js'

/**
 * Operations on workloads, as desired-state records (docs/protocol/desired-state.md): which nodes are being
 * drained, where a user moved a slot, how many instances a cluster-aware workload runs, and which node holds
 * the newest copy of a slot's state. Reads check every value's shape, as document.ts does; what does not fit
 * is skipped.
 */

/** A node being emptied: nothing new is placed there and what runs there moves away. */
export interface DrainRecord { by: string, atMs: number }

/** `move W --to NODE`: slot `index` of `workload` runs on `to` (a peer id) while the record stands. */
export interface MoveRecord {
  workload: string
  index: number
  to: string
  /** The user chose to start the slot without its old state (its node is gone for good). */
  fresh: boolean
  by: string
  atMs: number
}

/** `scale W N`. */
export interface ScaleRecord { instances: number, by: string, atMs: number }

/**
 * A node's copy of a slot's state, written only by that node when an instance starts there under `epoch`.
 * The copy with the highest epoch is the newest: each node writes only its own key, so concurrent writers
 * never overwrite each other, and the highest epoch wins whatever order the writes arrive in.
 */
export interface StateHomeRecord { workload: string, index: number, node: string, epoch: number, atMs: number }

/** The most instances a `scale` may ask for (placement clamps it into the workload's min..max as well). */
export const MAX_SCALE_INSTANCES = 1_000
/** The highest slot index a record may name. */
export const MAX_SLOT_INDEX = 100_000

const utf8 = new TextEncoder()

/** The key of a slot in `moves`. */
export const slotRecordKey = (workload: string, index: number): string => `${workload}/${index}`

/** The key of a node's copy of a slot's state in `stateHomes`. */
export const stateHomeKey = (workload: string, index: number, node: string): string => `${workload}/${index}|${node}`

export function checkSlot (workload: unknown, index: unknown): void {
  if (!isWorkloadName(workload)) throw new DesiredStateRefusedError('invalid-workload-name', `a workload name is 1 to ${MAX_WORKLOAD_NAME_BYTES} bytes of text`)
  if (!isIndex(index)) throw new DesiredStateRefusedError('invalid-workload-spec', `a slot index is a whole number from 0 to ${MAX_SLOT_INDEX}`)
}

export function checkInstances (n: unknown): asserts n is number {
  if (!Number.isInteger(n) || (n as number) < 0 || (n as number) > MAX_SCALE_INSTANCES) {
    throw new DesiredStateRefusedError('invalid-workload-spec', `an instance count is a whole number from 0 to ${MAX_SCALE_INSTANCES}`)
  }
}

export function readDrains (doc: Y.Doc): Map<string, DrainRecord> {
  const out = new Map<string, DrainRecord>()
  for (const [peer, v] of doc.getMap(ROOT.drains).entries()) {
    if (isPeerId(peer) && isStamp(v)) out.set(peer, { by: v.by, atMs: v.atMs })
  }
  return out
}

export function readMoves (doc: Y.Doc): MoveRecord[] {
  const out: MoveRecord[] = []
  for (const [key, v] of doc.getMap(ROOT.moves).entries()) {
    if (!isStamp(v)) continue
    const r = v as Partial<MoveRecord>
    if (isWorkloadName(r.workload) && isIndex(r.index) && isPeerId(r.to) && key === slotRecordKey(r.workload, r.index)) {
      out.push({ workload: r.workload, index: r.index, to: r.to, fresh: r.fresh === true, by: v.by, atMs: v.atMs })
    }
  }
  return out.sort((a, b) => a.workload.localeCompare(b.workload) || a.index - b.index)
}

export function readScale (doc: Y.Doc): Map<string, ScaleRecord> {
  const out = new Map<string, ScaleRecord>()
  for (const [name, v] of doc.getMap(ROOT.scale).entries()) {
    const n = isStamp(v) ? (v as Partial<ScaleRecord>).instances : undefined
    if (isWorkloadName(name) && isStamp(v) && Number.isInteger(n) && (n as number) >= 0 && (n as number) <= MAX_SCALE_INSTANCES) {
      out.set(name, { instances: n as number, by: v.by, atMs: v.atMs })
    }
  }
  return out
}

/** Every node's copy of slot (workload, index), newest (highest epoch) first. */
export function readStateHomes (doc: Y.Doc, workload: string, index: number): StateHomeRecord[] {
  const prefix = `${slotRecordKey(workload, index)}|`
  const out: StateHomeRecord[] = []
  for (const [key, v] of doc.getMap(ROOT.stateHomes).entries()) {
    if (!key.startsWith(prefix) || !isStamp(v)) continue
    const r = v as Partial<StateHomeRecord>
    if (r.workload === workload && r.index === index && isPeerId(r.node) && key === stateHomeKey(workload, index, r.node) &&
      Number.isSafeInteger(r.epoch) && (r.epoch as number) >= 0) {
      out.push({ workload, index, node: r.node, epoch: r.epoch as number, atMs: v.atMs })
    }
  }
  return out.sort((a, b) => b.epoch - a.epoch)
}

/** Per stateful slot, the node with its newest copy (the highest epoch; of equal epochs, the lower node id). */
export function readNewestStateHomes (doc: Y.Doc): Array<{ workload: string, index: number, node: string }> {
  const newest = new Map<string, { workload: string, index: number, node: string, epoch: number }>()
  for (const [k, v] of doc.getMap(ROOT.stateHomes).entries()) {
    if (!isStamp(v)) continue
    const r = v as Partial<StateHomeRecord>
    if (!isWorkloadName(r.workload) || !isIndex(r.index) || !isPeerId(r.node) || !Number.isSafeInteger(r.epoch) || (r.epoch as number) < 0) continue
    if (k !== stateHomeKey(r.workload, r.index, r.node)) continue
    const key = slotRecordKey(r.workload, r.index)
    const seen = newest.get(key)
    const epoch = r.epoch as number
    if (seen === undefined || epoch > seen.epoch || (epoch === seen.epoch && r.node < seen.node)) newest.set(key, { workload: r.workload, index: r.index, node: r.node, epoch })
  }
  return [...newest.values()].map(({ workload, index, node }) => ({ workload, index, node }))
}

/** Entries of the operation maps a typed read skips. */
export function countMalformedOperations (doc: Y.Doc): number {
  let n = doc.getMap(ROOT.drains).size - readDrains(doc).size
  n += doc.getMap(ROOT.moves).size - readMoves(doc).length
  n += doc.getMap(ROOT.scale).size - readScale(doc).size
  for (const [key, v] of doc.getMap(ROOT.stateHomes).entries()) {
    const r = isPlainObject(v) ? v as Partial<StateHomeRecord> : undefined
    const ok = r !== undefined && isWorkloadName(r.workload) && isIndex(r.index) && typeof r.node === 'string' &&
      readStateHomes(doc, r.workload, r.index).some(h => stateHomeKey(h.workload, h.index, h.node) === key)
    if (!ok) n++
  }
  return n
}

function isStamp (v: unknown): v is { by: string, atMs: number } {
  if (!isPlainObject(v)) return false
  return isPeerId(v.by) && typeof v.atMs === 'number' && Number.isFinite(v.atMs)
}

function isWorkloadName (v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && utf8.encode(v).byteLength <= MAX_WORKLOAD_NAME_BYTES
}

function isIndex (v: unknown): v is number {
  return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= MAX_SLOT_INDEX
}
