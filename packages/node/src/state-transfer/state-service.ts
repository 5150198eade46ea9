import { randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { once } from 'node:events'
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { encodeLengthPrefixed } from '../transport/length-prefix.js'
import { checksumFile, packState, recoverStateDir, removeStaleArchives, restoreState, stateDirOf } from './archive.js'
import {
  MAX_ARCHIVE_BYTES, MAX_CONCURRENT_SENDS, MAX_STATE_HEADER_BYTES, MAX_STATE_REQUEST_BYTES, SEND_CHUNK_BYTES,
  STATE_IDLE_TIMEOUT_MS, STATE_PROTOCOL, STATE_ROOT, WORKLOAD_NAME
} from './constants.js'
import { readMeta, SnapshotShelf, type SnapshotMeta } from './snapshot-shelf.js'
import { ProtocolError, StreamReader } from './stream-reader.js'

/**
 * A slot's state dir, carried between nodes over libp2p (docs/protocol/state-transfer.md). The node that
 * has the newest copy serves it as a deterministic archive with its sha256; the node about to run the slot
 * fetches it, checks the sum, and restores it atomically. The serving node keeps its copy: it stays the
 * authoritative one until the new instance runs, so a crash of either side mid-transfer loses nothing.
 */

/**
 * `fetch`: the state dir, quiescent (refused while an instance runs here); `checksum`: its archive's sum only;
 * `snapshot`: the state dir of the instance running here, live (for standbys, `--replicate-state`);
 * `snapshot-info` and `snapshot-copy`: the newest snapshot this node keeps as a standby.
 */
export type StateOp = 'fetch' | 'checksum' | 'snapshot' | 'snapshot-info' | 'snapshot-copy'


export interface StateRequest { v: 1, op: StateOp, workload: string }

/** What a transfer brought, for the user (`move` reports it) and the metrics. */
export interface TransferResult { bytes: number, sha256: string, ms: number, from: string }

export interface StateServiceInit {
  node: Pick<Libp2p, 'peerId' | 'handle' | 'unhandle' | 'dialProtocol'>
  dataDir: string
  /** Whether an instance of `workload` runs on this node now: its state is not quiescent, so it is not served. */
  isRunning: (workload: string) => boolean
  /** The epoch of the instance of `workload` running here, for snapshots. */
  runningEpoch: (workload: string) => number | undefined
  /** A request was refused or a peer sent something malformed; counted by the caller. */
  onDrop: (reason: string) => void
}

const TEMP_PREFIX = '.transfer-'

export class StateService {
  private sending = 0
  private readonly tempDir: string
  private readonly snapshots: SnapshotShelf

  constructor (private readonly init: StateServiceInit) {
    this.tempDir = join(init.dataDir, STATE_ROOT)
    this.snapshots = new SnapshotShelf(init.dataDir)
  }

  async start (): Promise<void> {
    await mkdir(this.tempDir, { recursive: true, mode: 0o700 })
    await removeStaleArchives(this.tempDir, TEMP_PREFIX)
    await this.init.node.handle(STATE_PROTOCOL, (stream) => { this.serve(stream).catch(() => {}) }, { maxInboundStreams: MAX_CONCURRENT_SENDS * 2 })
  }

  async stop (): Promise<void> {
    await this.init.node.unhandle(STATE_PROTOCOL).catch(() => {})
  }

  /** The sha256 of `workload`'s state archive on `peer` (this node when `peer` is its own id). */
  async checksum (peer: string, workload: string): Promise<{ bytes: number, sha256: string }> {
    if (peer === this.init.node.peerId.toString()) return await this.packLocal(workload, async (_path, sum) => sum)
    return await this.request(peer, { v: 1, op: 'checksum', workload }, async (_reader, header) => header)
  }

  /**
   * Brings `workload`'s state from `peer` and makes it this node's copy. Resolves what came; rejects (and
   * leaves the local copy as it was) on any failure, including a checksum that does not match.
   */
  async fetch (peer: string, workload: string): Promise<TransferResult> {
    const started = performance.now()
    await recoverStateDir(stateDirOf(this.init.dataDir, workload))
    return await this.download(peer, { v: 1, op: 'fetch', workload }, async (archive, header) => {
      await restoreState(archive, stateDirOf(this.init.dataDir, workload))
      return { bytes: header.bytes, sha256: header.sha256, ms: Math.round(performance.now() - started), from: peer }
    })
  }

  /**
   * Takes a live snapshot of `workload`'s state from `peer`, which runs it, and keeps it as this node's
   * standby copy (`<dataDir>/snapshots/<workload>.tar` and its `.json`), replacing an older one atomically.
   */
  async pullSnapshot (peer: string, workload: string): Promise<SnapshotMeta> {
    return await this.download(peer, { v: 1, op: 'snapshot', workload }, async (archive, header) => {
      const meta: SnapshotMeta = { workload, bytes: header.bytes, sha256: header.sha256, takenAtMs: header.takenAtMs ?? Date.now(), epoch: header.epoch ?? 0, from: peer }
      await this.snapshots.keep(archive, meta)
      return meta
    })
  }

  /** What standby copy of `workload` `peer` keeps (this node's own when `peer` is its id), or undefined. */
  async snapshotInfo (peer: string, workload: string): Promise<SnapshotMeta | undefined> {
    if (peer === this.init.node.peerId.toString()) return await this.snapshots.meta(workload)
    try {
      return await this.request(peer, { v: 1, op: 'snapshot-info', workload }, async (_reader, h) => readMeta(h.meta))
    } catch (err) {
      if ((err as Error).message.includes('(no-snapshot)')) return undefined
      throw err
    }
  }

  /** Restores the standby copy of `workload` kept by `peer` (or by this node) as this node's state. */
  async restoreSnapshot (peer: string, workload: string): Promise<SnapshotMeta> {
    const dir = stateDirOf(this.init.dataDir, workload)
    if (peer === this.init.node.peerId.toString()) {
      const meta = await this.snapshots.meta(workload)
      if (meta === undefined) throw new Error(`this node keeps no snapshot of ${workload}`)
      await restoreState(this.snapshots.archivePath(workload), dir)
      return meta
    }
    return await this.download(peer, { v: 1, op: 'snapshot-copy', workload }, async (archive, header) => {
      const meta = readMeta(header.meta)
      if (meta === undefined) throw new ProtocolError('bad-header', 'a snapshot copy came without its metadata')
      await restoreState(archive, dir)
      return meta
    })
  }

  /**
   * Asks `peer` for an archive, writes it to a temporary file, checks its size and sha256 against the
   * header, and hands the file to `use`; the file is removed afterwards, whatever happens.
   */
  private async download<T> (peer: string, request: StateRequest, use: (archive: string, header: AnswerHeader) => Promise<T>): Promise<T> {
    const archive = this.tempPath()
    try {
      const header = await this.request(peer, request, async (reader, h, touch) => {
        await this.receive(reader, h.bytes, archive, touch)
        return h
      })
      await this.verify(archive, header, peer)
      return await use(archive, header)
    } finally {
      await rm(archive, { force: true })
    }
  }

  private async receive (reader: StreamReader, bytes: number, archive: string, touch: () => void): Promise<void> {
    const file = createWriteStream(archive, { mode: 0o600 })
    try {
      for await (const chunk of reader.readBytes(bytes)) {
        touch()
        if (!file.write(chunk)) await once(file, 'drain')
      }
    } finally {
      file.end()
      await once(file, 'close')
    }
  }

  private async verify (archive: string, header: { bytes: number, sha256: string }, peer: string): Promise<void> {
    const got = await checksumFile(archive)
    if (got.sha256 !== header.sha256 || got.bytes !== header.bytes) {
      this.init.onDrop('state-checksum-mismatch')
      throw new ProtocolError('checksum-mismatch', `the archive from ${peer} has sha256 ${got.sha256}, not the announced ${header.sha256}`)
    }
  }

  private async request<T> (peer: string, request: StateRequest, body: (reader: StreamReader, header: AnswerHeader, touch: () => void) => Promise<T>): Promise<T> {
    let peerId: PeerId
    try {
      peerId = peerIdFromString(peer)
    } catch {
      throw new Error(`${peer} is not a peer id`)
    }
    const stream = await this.init.node.dialProtocol(peerId, STATE_PROTOCOL, { signal: AbortSignal.timeout(STATE_IDLE_TIMEOUT_MS) })
    const idle = new IdleTimer(() => { stream.abort(new ProtocolError('timeout', `no progress from ${peer} for ${STATE_IDLE_TIMEOUT_MS} ms`)) })
    try {
      stream.send(encodeLengthPrefixed(new TextEncoder().encode(JSON.stringify(request))))
      const reader = new StreamReader(stream)
      const header = readHeader(await reader.readJson(MAX_STATE_HEADER_BYTES))
      idle.touch()
      const result = await body(reader, header, () => { idle.touch() })
      await stream.close().catch(() => {})
      return result
    } catch (err) {
      stream.abort(err as Error)
      throw err
    } finally {
      idle.stop()
    }
  }

  private async serve (stream: Stream): Promise<void> {
    const idle = new IdleTimer(() => { stream.abort(new ProtocolError('timeout', 'the requester made no progress')) })
    try {
      const request = readRequest(await new StreamReader(stream).readJson(MAX_STATE_REQUEST_BYTES))
      // A checksum of a running instance's state is only informational; a copy must be quiescent.
      if (request.op === 'fetch' && this.init.isRunning(request.workload)) {
        this.init.onDrop('state-busy')
        return await this.answerError(stream, 'busy', `${request.workload} runs on this node: its state is not quiescent`)
      }
      if (request.op === 'fetch' && this.sending >= MAX_CONCURRENT_SENDS) {
        this.init.onDrop('state-too-many-sends')
        return await this.answerError(stream, 'too-many-transfers', `this node already sends ${MAX_CONCURRENT_SENDS} archives`)
      }
      if (request.op === 'snapshot' && this.init.runningEpoch(request.workload) === undefined) {
        return await this.answerError(stream, 'not-running', `${request.workload} does not run on this node`)
      }
      if (request.op === 'snapshot-info' || request.op === 'snapshot-copy') return await this.serveSnapshotCopy(stream, request, idle)
      this.sending++
      try {
        await this.packLocal(request.workload, async (path, sum) => {
          if (sum.bytes > MAX_ARCHIVE_BYTES) return await this.answerError(stream, 'too-large', `the archive is ${sum.bytes} bytes, over ${MAX_ARCHIVE_BYTES}`)
          const extra = request.op === 'snapshot' ? { takenAtMs: Date.now(), epoch: this.init.runningEpoch(request.workload) ?? 0 } : {}
          stream.send(encodeLengthPrefixed(new TextEncoder().encode(JSON.stringify({ ok: true, ...sum, ...extra }))))
          if (request.op === 'fetch' || request.op === 'snapshot') {
            for await (const chunk of createReadStream(path, { highWaterMark: SEND_CHUNK_BYTES })) {
              idle.touch()
              if (!stream.send(chunk as Buffer)) await stream.onDrain()
            }
          }
          await stream.close()
        })
      } finally {
        this.sending--
      }
    } catch (err) {
      if (err instanceof ProtocolError) this.init.onDrop(`state-${err.code}`)
      stream.abort(err as Error)
    } finally {
      idle.stop()
    }
  }

  private async serveSnapshotCopy (stream: Stream, request: StateRequest, idle: IdleTimer): Promise<void> {
    const meta = await this.snapshots.meta(request.workload)
    if (meta === undefined) return await this.answerError(stream, 'no-snapshot', `this node keeps no snapshot of ${request.workload}`)
    const header = { ok: true, bytes: request.op === 'snapshot-copy' ? meta.bytes : 0, sha256: meta.sha256, meta }
    stream.send(encodeLengthPrefixed(new TextEncoder().encode(JSON.stringify(header))))
    if (request.op === 'snapshot-copy') {
      for await (const chunk of createReadStream(this.snapshots.archivePath(request.workload), { highWaterMark: SEND_CHUNK_BYTES })) {
        idle.touch()
        if (!stream.send(chunk as Buffer)) await stream.onDrain()
      }
    }
    await stream.close()
  }

  private async answerError (stream: Stream, code: string, error: string): Promise<void> {
    stream.send(encodeLengthPrefixed(new TextEncoder().encode(JSON.stringify({ ok: false, code, error }))))
    await stream.close().catch(() => {})
  }

  /** Packs the local state of `workload` into a temporary archive, hands it to `use`, then deletes it. */
  private async packLocal<T> (workload: string, use: (path: string, sum: { bytes: number, sha256: string }) => Promise<T>): Promise<T> {
    const dir = stateDirOf(this.init.dataDir, workload)
    await recoverStateDir(dir)
    const path = this.tempPath()
    try {
      return await use(path, await packState(dir, path))
    } finally {
      await rm(path, { force: true })
    }
  }

  private tempPath (): string {
    return join(this.tempDir, `${TEMP_PREFIX}${randomBytes(6).toString('hex')}.tar`)
  }
}


function readRequest (value: unknown): StateRequest {
  const r = value as Partial<StateRequest> | null
  if (typeof r !== 'object' || r === null || r.v !== 1 || !STATE_OPS.includes(r.op as StateOp) || typeof r.workload !== 'string' || !WORKLOAD_NAME.test(r.workload)) {
    throw new ProtocolError('bad-request', `a state request is { v: 1, op: ${STATE_OPS.map(o => `"${o}"`).join(' | ')}, workload: <name> }`)
  }
  return { v: 1, op: r.op as StateOp, workload: r.workload }
}

const STATE_OPS: readonly StateOp[] = ['fetch', 'checksum', 'snapshot', 'snapshot-info', 'snapshot-copy']

/** The answer header of a transfer. */
interface AnswerHeader { bytes: number, sha256: string, takenAtMs?: number, epoch?: number, meta?: unknown }

function readHeader (value: unknown): AnswerHeader {
  const h = value as { ok?: unknown, bytes?: unknown, sha256?: unknown, code?: unknown, error?: unknown, takenAtMs?: unknown, epoch?: unknown, meta?: unknown } | null
  if (typeof h === 'object' && h !== null && h.ok === false) throw new Error(`the peer refused: ${String(h.error)} (${String(h.code)})`)
  if (typeof h !== 'object' || h === null || h.ok !== true || !Number.isSafeInteger(h.bytes) || (h.bytes as number) < 0 ||
    (h.bytes as number) > MAX_ARCHIVE_BYTES || typeof h.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(h.sha256)) {
    throw new ProtocolError('bad-header', 'the answer header is not { ok: true, bytes, sha256 } within bounds')
  }
  return {
    bytes: h.bytes as number,
    sha256: h.sha256,
    ...(typeof h.takenAtMs === 'number' && Number.isFinite(h.takenAtMs) ? { takenAtMs: h.takenAtMs } : {}),
    ...(Number.isSafeInteger(h.epoch) ? { epoch: h.epoch as number } : {}),
    ...(h.meta === undefined ? {} : { meta: h.meta })
  }
}

/** Calls `onIdle` when `touch()` was not called for STATE_IDLE_TIMEOUT_MS. */
class IdleTimer {
  private timer: NodeJS.Timeout
  constructor (onIdle: () => void) {
    this.timer = setTimeout(onIdle, STATE_IDLE_TIMEOUT_MS)
  }

  touch (): void { this.timer.refresh() }
  stop (): void { clearTimeout(this.timer) }
}
