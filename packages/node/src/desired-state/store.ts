import { mkdir, readdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { TypedEventEmitter } from '@libp2p/interface'
import * as Y from 'yjs'
import { syncDir, TEMP_PREFIX } from '../identity/atomic-file.js'
import {
  DESIRED_STATE_DIR, MAX_DOCUMENT_BYTES, MAX_LOG_BYTES, MAX_RECORD_BYTES, MAX_WORKLOAD_SPEC_BYTES, SNAPSHOT_FILE,
  UPDATE_LOG_FILE
} from './constants.js'
import {
  checkDenyReason, checkPeerId, checkVoters, checkWorkloadName, checkWorkloadSpec, countMalformed, DesiredStateRefusedError,
  isDeniedIn, readDenied, readVoters, readWorkload, readWorkloads, ROOT, VOTERS_KEY,
  type DenyRecord, type EditRefusal, type JsonObject, type VotersRecord
} from './document.js'
import {
  checkInstances, checkSlot, countMalformedOperations, readDrains, readMoves, readNewestStateHomes, readScale, readStateHomes, slotRecordKey, stateHomeKey,
  type DrainRecord, type MoveRecord, type ScaleRecord, type StateHomeRecord
} from './operations.js'
import {
  concat, DesiredStateFileError, encodeRecord, parseRecords, readOptionalFile, SNAPSHOT_MAGIC, UpdateLog, writeSnapshot
} from './record-file.js'

/** Where a change to the document came from. */
export type UpdateOrigin = { kind: 'local' } | { kind: 'remote', peer: string }

/** One change to the document, as Yjs encodes it: what the sync sends on to peers. */
export interface DesiredStateUpdate {
  update: Uint8Array
  origin: UpdateOrigin
}

/** What a transaction changed, by field. Arrays are empty when that field did not change. */
export interface DesiredStateChange {
  origin: UpdateOrigin
  /** Names of workloads set or removed. */
  workloads: string[]
  /** Whether the voters record changed. */
  voters: boolean
  /** Peer ids denied or allowed again. */
  denied: string[]
  /** Other root maps touched (reserved ones, or names this version does not know). */
  other: string[]
}

export interface DesiredStateStoreEvents {
  /** The document changed (after the change is in memory; its fsync may still be under way). */
  change: CustomEvent<DesiredStateChange>
  /** A Yjs update was applied (local or remote): the sync pushes it to peers. */
  update: CustomEvent<DesiredStateUpdate>
  /** A batch of records was fsynced; `pendingWriteBytes` is what still waits. */
  written: CustomEvent<{ pendingWriteBytes: number }>
}

/** Why a remote update was not applied. */
export type RemoteRefusal = 'malformed-update' | 'document-full' | 'store-closed' | 'store-failed'

/** The result of `applyRemote`. */
export type RemoteApplyResult =
  | { applied: true, /** Resolves once what the update added is fsynced. */ persisted: Promise<void> }
  | { applied: false, reason: RemoteRefusal }

export interface DesiredStateStoreOptions {
  /** This node's peer id: recorded as `by` in deny and voter records. */
  editor: string
  /** The wall clock for `atMs` fields (for people, never for ordering). @default Date.now */
  nowMs?: () => number
  /** @default MAX_DOCUMENT_BYTES (8 MiB) */
  maxDocumentBytes?: number
  /** @default MAX_WORKLOAD_SPEC_BYTES (64 KiB) */
  maxWorkloadSpecBytes?: number
  /** @default MAX_LOG_BYTES (1 MiB) */
  maxLogBytes?: number
  /** @default MAX_RECORD_BYTES (16 MiB) */
  maxRecordBytes?: number
}

/** Counters, for /metrics and tests. */
export interface DesiredStateStoreStats {
  /** Records replayed from the log at open. */
  loadedRecords: number
  /** Torn or corrupt tails dropped from the log at open (0 or 1 per open). */
  droppedTails: number
  /** Bytes in those tails. */
  droppedTailBytes: number
  /** Records with a good checksum that Yjs could not apply (a bug, or disk corruption behind the checksum). */
  unreadableRecords: number
  /** Records appended and fsynced. */
  appendedRecords: number
  /** fsyncs of the log (one per batch of records). */
  logSyncs: number
  /** Snapshots written (compactions). */
  compactions: number
  /** Remote updates applied (including ones that turned out to hold nothing new). */
  remoteApplied: number
  /** Local edits and remote updates refused, by reason. */
  refused: Partial<Record<EditRefusal | RemoteRefusal, number>>
}

/** A plain view of the document's typed fields, for display, logs and comparisons. */
export interface DesiredStateView {
  workloads: Record<string, JsonObject>
  voters: VotersRecord | null
  denied: Record<string, DenyRecord>
}

/** Origin of the transactions that replay the files at open: never persisted again, never announced. */
const LOAD_ORIGIN = Symbol('desired-state-load')
/** Origin of local edits. */
const LOCAL_ORIGIN = Symbol('desired-state-local')
/** Origin of remote updates: which peer sent it, so the sync does not echo it back. */
class RemoteOrigin {
  constructor (readonly peer: string) {}
}
/** Bytes a local edit adds beyond its own content (Yjs item headers, the key): a generous estimate. */
const EDIT_OVERHEAD_BYTES = 256

interface PendingRecord {
  record: Uint8Array
  resolve: () => void
  reject: (err: unknown) => void
}

/**
 * The replicated desired state (ARCHITECTURE.md rule 5): a Yjs document persisted in the data dir under
 * `desired-state/`, as a snapshot plus an append-only log of updates (record-file.ts).
 *
 * Every edit is acknowledged by its promise: it resolves only once the edit's update record is fsynced (and
 * the log's directory entry, when the log was created), so a kill -9 after it resolves loses nothing.
 * Updates from peers (`applyRemote`) are persisted the same way. Records are written in order by one writer;
 * edits made while an fsync is under way share the next one (group commit).
 *
 * If a write fails, the store stops: every later edit is refused with `store-failed`, since memory would
 * otherwise run ahead of the disk. Restarting the node reloads what was durable; peers resend the rest.
 *
 * ```ts
 * const store = await DesiredStateStore.open(dataDir, { editor: node.peerId.toString() })
 * await store.setWorkload('web', { image: 'nginx', replicas: 2 }) // durable once this resolves
 * store.addEventListener('change', (e) => { console.log(e.detail.workloads) })
 * ```
 */
export class DesiredStateStore extends TypedEventEmitter<DesiredStateStoreEvents> {
  readonly stats: DesiredStateStoreStats
  private readonly nowMs: () => number
  private readonly maxDocumentBytes: number
  private readonly maxWorkloadSpecBytes: number
  private readonly maxLogBytes: number
  /** An upper bound on the document's encoded size: exact after load and compaction, plus each update since. */
  private sizeBytes: number
  private queue: PendingRecord[] = []
  private queuedBytes = 0
  private inFlightBytes = 0
  private draining = false
  private idleWaiters: Array<() => void> = []
  /** The persistence of the latest update, for the edit or remote apply that caused it. */
  private lastPersisted: Promise<void> = Promise.resolve()
  private updates = 0
  private closed = false
  private failure: unknown

  private constructor (
    private readonly doc: Y.Doc,
    private readonly log: UpdateLog,
    private readonly snapshotFile: string,
    private readonly options: DesiredStateStoreOptions,
    stats: DesiredStateStoreStats
  ) {
    super()
    this.stats = stats
    this.nowMs = options.nowMs ?? Date.now
    this.maxDocumentBytes = options.maxDocumentBytes ?? MAX_DOCUMENT_BYTES
    this.maxWorkloadSpecBytes = options.maxWorkloadSpecBytes ?? MAX_WORKLOAD_SPEC_BYTES
    this.maxLogBytes = options.maxLogBytes ?? MAX_LOG_BYTES
    this.sizeBytes = Y.encodeStateAsUpdate(doc).byteLength
    doc.on('afterTransaction', this.onTransaction)
    doc.on('update', this.onUpdate)
  }

  /**
   * Opens the document in `dataDir/desired-state/`, creating it if needed. A torn or corrupt tail of the log
   * (a kill -9 mid-append) is dropped, counted in `stats`, and cut off the file. A damaged snapshot is an
   * error: snapshots are written atomically, so damage there is the disk's, and a person should look.
   */
  static async open (dataDir: string, options: DesiredStateStoreOptions): Promise<DesiredStateStore> {
    checkPeerId(options.editor)
    const dir = join(dataDir, DESIRED_STATE_DIR)
    await makeDirDurable(dataDir, dir)
    // Leftovers of a snapshot or log write that a crash interrupted (see atomic-file.ts).
    for (const name of await readdir(dir)) {
      if (name.startsWith(TEMP_PREFIX)) await rm(join(dir, name), { force: true })
    }
    const maxRecordBytes = options.maxRecordBytes ?? MAX_RECORD_BYTES
    const stats: DesiredStateStoreStats = {
      loadedRecords: 0, droppedTails: 0, droppedTailBytes: 0, unreadableRecords: 0, appendedRecords: 0, logSyncs: 0,
      compactions: 0, remoteApplied: 0, refused: {}
    }
    const doc = new Y.Doc()
    const snapshotFile = join(dir, SNAPSHOT_FILE)
    const snapshot = await readOptionalFile(snapshotFile)
    if (snapshot !== undefined) {
      try {
        const parsed = parseRecords(snapshot, SNAPSHOT_MAGIC, maxRecordBytes)
        if (parsed.payloads.length !== 1 || parsed.tailBytes > 0) throw new Error(`${parsed.payloads.length} whole records and ${parsed.tailBytes} bytes of damage, not one record`)
        Y.applyUpdate(doc, parsed.payloads[0], LOAD_ORIGIN)
      } catch (err) {
        throw new DesiredStateFileError(`the desired-state snapshot ${snapshotFile} is damaged (${(err as Error).message}): move it away and restart; the other members hold the document and will send it back`, { cause: err })
      }
    }
    const { log, parsed } = await UpdateLog.open(join(dir, UPDATE_LOG_FILE), maxRecordBytes)
    for (const payload of parsed.payloads) {
      try {
        Y.applyUpdate(doc, payload, LOAD_ORIGIN)
        stats.loadedRecords++
      } catch {
        stats.unreadableRecords++
      }
    }
    if (parsed.tailBytes > 0) {
      stats.droppedTails++
      stats.droppedTailBytes += parsed.tailBytes
    }
    return new DesiredStateStore(doc, log, snapshotFile, options, stats)
  }

  // ---- reads ----

  /** Every well-formed workload spec, by name (copies). */
  workloads (): Map<string, JsonObject> {
    return readWorkloads(this.doc)
  }

  /** One workload's spec (a copy), or undefined. */
  workload (name: string): JsonObject | undefined {
    return readWorkload(this.doc, name)
  }

  /** The lease voters as set, or [] when never set. */
  voters (): string[] {
    return readVoters(this.doc)?.peers ?? []
  }

  /** The voters record with who set it and when, or undefined. */
  votersRecord (): VotersRecord | undefined {
    return readVoters(this.doc)
  }

  /** The voters that may vote now: a denied peer never votes, whatever the voters record says. */
  activeVoters (): string[] {
    return this.voters().filter(peer => !this.isDenied(peer))
  }

  /** The deny list, by peer id. */
  denied (): Map<string, DenyRecord> {
    return readDenied(this.doc)
  }

  /** Whether `peer` is on the deny list. */
  isDenied (peer: string): boolean {
    return isDeniedIn(this.doc, peer)
  }

  /** Entries that typed reads skip because a member wrote them in a shape this version does not know. */
  malformedEntries (): number {
    return countMalformed(this.doc) + countMalformedOperations(this.doc)
  }

  /** The typed fields as plain data. */
  view (): DesiredStateView {
    return {
      workloads: Object.fromEntries(this.workloads()),
      voters: this.votersRecord() ?? null,
      denied: Object.fromEntries(this.denied())
    }
  }

  /** Bytes of records waiting to be fsynced (queued or being written). */
  get pendingWriteBytes (): number {
    return this.queuedBytes + this.inFlightBytes
  }

  // ---- local edits: each resolves once durable ----

  /** Sets a workload's spec, replacing any previous one whole. */
  async setWorkload (name: string, spec: JsonObject): Promise<void> {
    const copy = this.refuseUnless(() => {
      checkWorkloadName(name)
      return checkWorkloadSpec(spec, this.maxWorkloadSpecBytes)
    })
    await this.edit(JSON.stringify(copy).length + name.length, () => { this.doc.getMap(ROOT.workloads).set(name, copy) })
  }

  /** Removes a workload. Removing an absent one changes nothing and resolves at once. */
  async removeWorkload (name: string): Promise<void> {
    this.refuseUnless(() => { checkWorkloadName(name) })
    await this.edit(0, () => {
      const map = this.doc.getMap(ROOT.workloads)
      if (map.has(name)) map.delete(name)
    })
  }

  /** Replaces the lease voters (peer ids; sorted and deduplicated). */
  async setVoters (peers: string[]): Promise<void> {
    const record: VotersRecord = this.refuseUnless(() => ({ peers: checkVoters(peers), by: this.options.editor, atMs: this.nowMs() }))
    await this.edit(JSON.stringify(record).length, () => { this.doc.getMap(ROOT.cluster).set(VOTERS_KEY, record) })
  }

  /** Adds `peer` to the deny list: it may no longer connect or edit. */
  async deny (peer: string, reason: string): Promise<void> {
    const record: DenyRecord = this.refuseUnless(() => {
      checkPeerId(peer)
      checkDenyReason(reason)
      return { by: this.options.editor, atMs: this.nowMs(), reason }
    })
    await this.edit(JSON.stringify(record).length + peer.length, () => { this.doc.getMap(ROOT.denied).set(peer, record) })
  }

  /** Lifts a deny. A concurrent deny of the same peer wins over this (see the protocol doc). */
  async allow (peer: string): Promise<void> {
    this.refuseUnless(() => { checkPeerId(peer) })
    await this.edit(0, () => {
      const map = this.doc.getMap(ROOT.denied)
      if (map.has(peer)) map.delete(peer)
    })
  }

  /** Marks `peer` as draining (`on`) or not. Placement moves everything off a draining node. */
  async setDrain (peer: string, on: boolean): Promise<void> {
    this.refuseUnless(() => { checkPeerId(peer) })
    const record: DrainRecord = { by: this.options.editor, atMs: this.nowMs() }
    await this.edit(on ? JSON.stringify(record).length + peer.length : 0, () => {
      const map = this.doc.getMap(ROOT.drains)
      if (on) map.set(peer, record)
      else if (map.has(peer)) map.delete(peer)
    })
  }

  /**
   * Asks for slot `index` of `workload` to run on `to` (a peer id), or withdraws that (`to` undefined).
   * `fresh`: start it there without its old state.
   */
  async setMove (workload: string, index: number, to: string | undefined, fresh = false): Promise<void> {
    this.refuseUnless(() => { checkSlot(workload, index); if (to !== undefined) checkPeerId(to) })
    const key = slotRecordKey(workload, index)
    const record = to === undefined ? undefined : { workload, index, to, fresh, by: this.options.editor, atMs: this.nowMs() }
    await this.edit(record === undefined ? 0 : JSON.stringify(record).length + key.length, () => {
      const map = this.doc.getMap(ROOT.moves)
      if (record !== undefined) map.set(key, record)
      else if (map.has(key)) map.delete(key)
    })
  }

  /** Sets how many instances cluster-aware `workload` runs, or withdraws it (`instances` undefined). */
  async setScale (workload: string, instances: number | undefined): Promise<void> {
    this.refuseUnless(() => { checkSlot(workload, 0); if (instances !== undefined) checkInstances(instances) })
    const record = instances === undefined ? undefined : { instances, by: this.options.editor, atMs: this.nowMs() }
    await this.edit(record === undefined ? 0 : 64 + workload.length, () => {
      const map = this.doc.getMap(ROOT.scale)
      if (record !== undefined) map.set(workload, record)
      else if (map.has(workload)) map.delete(workload)
    })
  }

  /**
   * Records that this node's copy of slot (workload, index) is current as of lease `epoch` (an instance
   * started here under it). Only this node writes its own key.
   */
  async recordStateHome (workload: string, index: number, epoch: number): Promise<void> {
    const node = this.options.editor
    this.refuseUnless(() => { checkSlot(workload, index) })
    const key = stateHomeKey(workload, index, node)
    const record = { workload, index, node, epoch, by: node, atMs: this.nowMs() }
    await this.edit(JSON.stringify(record).length + key.length, () => { this.doc.getMap(ROOT.stateHomes).set(key, record) })
  }

  /**
   * Withdraws the moves and the scale of a workload that was stopped. Where its state lives is kept: the
   * data stays on that node's disk, and a later `run` of the same name finds it again.
   */
  async clearOperations (workload: string): Promise<void> {
    await this.edit(0, () => {
      const moves = this.doc.getMap(ROOT.moves)
      for (const key of [...moves.keys()]) if (key.startsWith(`${workload}/`)) moves.delete(key)
      const scale = this.doc.getMap(ROOT.scale)
      if (scale.has(workload)) scale.delete(workload)
    })
  }

  drains (): Map<string, DrainRecord> { return readDrains(this.doc) }
  moves (): MoveRecord[] { return readMoves(this.doc) }
  scale (): Map<string, ScaleRecord> { return readScale(this.doc) }
  /** Every node's copy of a slot's state, newest first. */
  stateHomes (workload: string, index: number): StateHomeRecord[] { return readStateHomes(this.doc, workload, index) }
  /** Per stateful slot, the node with its newest copy: placement's `stateHomes`. */
  newestStateHomes (): Array<{ workload: string, index: number, node: string }> { return readNewestStateHomes(this.doc) }

  // ---- replication (used by DesiredStateSync) ----

  /** This replica's Yjs state vector: what it has seen from each writer. */
  stateVector (): Uint8Array {
    return Y.encodeStateVector(this.doc)
  }

  /** A Yjs update with everything this replica has that a replica at `stateVector` lacks. Throws on a malformed vector. */
  diffSince (stateVector: Uint8Array): Uint8Array {
    return Y.encodeStateAsUpdate(this.doc, stateVector)
  }

  /**
   * Applies an update from `peer`, after checking that it decodes and that the document stays within its
   * bound. Never throws. What it adds is persisted like a local edit, announced as an `update` event with
   * the peer as origin, and as a `change` event.
   */
  applyRemote (update: Uint8Array, peer: string): RemoteApplyResult {
    const refused = (reason: RemoteRefusal): RemoteApplyResult => {
      this.count(reason)
      return { applied: false, reason }
    }
    if (this.closed) return refused('store-closed')
    if (this.failure !== undefined) return refused('store-failed')
    try {
      // Decoding first: a malformed update is refused before it can touch the document.
      Y.decodeUpdate(update)
    } catch {
      return refused('malformed-update')
    }
    if (!this.hasRoomFor(update.byteLength)) return refused('document-full')
    const before = this.updates
    try {
      Y.applyUpdate(this.doc, update, new RemoteOrigin(peer))
    } catch {
      // Whatever Yjs integrated before it threw was announced and queued by onUpdate, so disk still matches memory.
      return refused('malformed-update')
    }
    this.stats.remoteApplied++
    return { applied: true, persisted: this.updates === before ? Promise.resolve() : this.lastPersisted }
  }

  /** Resolves once every record queued so far is fsynced (or the store failed). */
  async flush (): Promise<void> {
    if (!this.draining) return
    await new Promise<void>(resolve => { this.idleWaiters.push(resolve) })
  }

  /** Waits for queued records, then closes the log. Later edits are refused with `store-closed`. */
  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.flush()
    this.doc.off('afterTransaction', this.onTransaction)
    this.doc.off('update', this.onUpdate)
    await this.log.close()
    this.doc.destroy()
  }

  // ---- internals ----

  /** Runs checks; a refusal is counted and thrown as `DesiredStateRefusedError`. */
  private refuseUnless<T>(check: () => T): T {
    try {
      if (this.closed) throw new DesiredStateRefusedError('store-closed', 'the store is closed')
      if (this.failure !== undefined) throw new DesiredStateRefusedError('store-failed', `an earlier write failed: ${String((this.failure as Error).message ?? this.failure)}`)
      return check()
    } catch (err) {
      if (err instanceof DesiredStateRefusedError) this.count(err.reason)
      throw err
    }
  }

  private async edit (contentBytes: number, change: () => void): Promise<void> {
    if (!this.hasRoomFor(contentBytes + EDIT_OVERHEAD_BYTES)) {
      this.count('document-full')
      throw new DesiredStateRefusedError('document-full', `the document would exceed ${this.maxDocumentBytes} bytes`)
    }
    const before = this.updates
    this.doc.transact(change, LOCAL_ORIGIN)
    if (this.updates !== before) await this.lastPersisted
  }

  /** Whether `bytes` more fit; near the bound the estimate is replaced by the exact size. */
  private hasRoomFor (bytes: number): boolean {
    if (this.sizeBytes + bytes <= this.maxDocumentBytes) return true
    this.sizeBytes = Y.encodeStateAsUpdate(this.doc).byteLength
    return this.sizeBytes + bytes <= this.maxDocumentBytes
  }

  private count (reason: EditRefusal | RemoteRefusal): void {
    this.stats.refused[reason] = (this.stats.refused[reason] ?? 0) + 1
  }

  private readonly onUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === LOAD_ORIGIN) return
    this.updates++
    this.sizeBytes += update.byteLength
    this.lastPersisted = this.enqueue(update)
    // An unawaited persist (a remote update whose caller moved on) must not become an unhandled rejection;
    // the failure is kept in `failure` and refuses every later edit.
    this.lastPersisted.catch(() => {})
    this.safeDispatchEvent('update', { detail: { update, origin: originOf(origin) } })
  }

  private readonly onTransaction = (transaction: Y.Transaction): void => {
    if (transaction.origin === LOAD_ORIGIN || transaction.changed.size === 0) return
    const change: DesiredStateChange = { origin: originOf(transaction.origin), workloads: [], voters: false, denied: [], other: [] }
    for (const [type, keys] of transaction.changed) {
      // Only root maps are written by this schema; a nested type written by someone else is "other".
      const root = type._item === null ? rootName(this.doc, type) : undefined
      const named = [...keys].filter((k): k is string => k !== null)
      if (root === ROOT.workloads) change.workloads.push(...named)
      else if (root === ROOT.denied) change.denied.push(...named)
      else if (root === ROOT.cluster && named.includes(VOTERS_KEY)) change.voters = true
      else change.other.push(root ?? '(nested)')
    }
    this.safeDispatchEvent('change', { detail: change })
  }

  private async enqueue (update: Uint8Array): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const record = encodeRecord(update)
      this.queue.push({ record, resolve, reject })
      this.queuedBytes += record.byteLength
      if (!this.draining) {
        this.draining = true
        void this.drain()
      }
    })
  }

  /** The one writer: appends what is queued as one batch, fsyncs once, acknowledges the batch, repeats. */
  private async drain (): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue
        this.queue = []
        this.inFlightBytes = this.queuedBytes
        this.queuedBytes = 0
        if (this.failure !== undefined) {
          for (const p of batch) p.reject(this.failure)
          continue
        }
        try {
          await this.log.append(concat(batch.map(p => p.record)))
          this.stats.appendedRecords += batch.length
          this.stats.logSyncs++
          for (const p of batch) p.resolve()
        } catch (err) {
          this.failure = err
          for (const p of batch) p.reject(err)
          continue
        } finally {
          this.inFlightBytes = 0
        }
        if (this.log.sizeBytes > this.maxLogBytes) await this.compact()
      }
    } finally {
      this.draining = false
      for (const wake of this.idleWaiters.splice(0)) wake()
      this.safeDispatchEvent('written', { detail: { pendingWriteBytes: this.pendingWriteBytes } })
    }
  }

  /**
   * Rewrites the snapshot with the whole document and starts an empty log. The snapshot may hold updates
   * still queued for the log: they are appended to the new log later, and applying twice is harmless.
   */
  private async compact (): Promise<void> {
    try {
      const state = Y.encodeStateAsUpdate(this.doc)
      await writeSnapshot(this.snapshotFile, state)
      await this.log.reset()
      this.sizeBytes = state.byteLength
      this.stats.compactions++
    } catch (err) {
      this.failure = err
    }
  }
}

function originOf (origin: unknown): UpdateOrigin {
  return origin instanceof RemoteOrigin ? { kind: 'remote', peer: origin.peer } : { kind: 'local' }
}

function rootName (doc: Y.Doc, type: object): string | undefined {
  for (const [name, root] of doc.share) if (root === type) return name
  return undefined
}

/** mkdir, and when it created the folder, fsync the parent so the folder's entry is durable too. */
async function makeDirDurable (parent: string, dir: string): Promise<void> {
  const existed = await stat(dir).then(s => {
    if (!s.isDirectory()) throw new DesiredStateFileError(`${dir} is not a directory`)
    return true
  }, (err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return false
    throw err
  })
  if (existed) return
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await syncDir(parent)
}
