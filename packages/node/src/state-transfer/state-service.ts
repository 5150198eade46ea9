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
  STATE_IDLE_TIMEOUT_MS, STATE_PROTOCOL, STATE_ROOT
} from './constants.js'
import { ProtocolError, StreamReader } from './stream-reader.js'

/**
 * A slot's state dir, carried between nodes over libp2p (docs/protocol/state-transfer.md). The node that
 * has the newest copy serves it as a deterministic archive with its sha256; the node about to run the slot
 * fetches it, checks the sum, and restores it atomically. The serving node keeps its copy: it stays the
 * authoritative one until the new instance runs, so a crash of either side mid-transfer loses nothing.
 */

export type StateOp = 'fetch' | 'checksum'

export interface StateRequest { v: 1, op: StateOp, workload: string }

/** What a transfer brought, for the user (`move` reports it) and the metrics. */
export interface TransferResult { bytes: number, sha256: string, ms: number, from: string }

export interface StateServiceInit {
  node: Pick<Libp2p, 'peerId' | 'handle' | 'unhandle' | 'dialProtocol'>
  dataDir: string
  /** Whether an instance of `workload` runs on this node now: its state is not quiescent, so it is not served. */
  isRunning: (workload: string) => boolean
  /** A request was refused or a peer sent something malformed; counted by the caller. */
  onDrop: (reason: string) => void
}

const TEMP_PREFIX = '.transfer-'

export class StateService {
  private sending = 0
  private readonly tempDir: string

  constructor (private readonly init: StateServiceInit) {
    this.tempDir = join(init.dataDir, STATE_ROOT)
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
    const archive = this.tempPath()
    try {
      const header = await this.request(peer, { v: 1, op: 'fetch', workload }, async (reader, h, touch) => {
        const file = createWriteStream(archive, { mode: 0o600 })
        try {
          for await (const chunk of reader.readBytes(h.bytes)) {
            touch()
            if (!file.write(chunk)) await once(file, 'drain')
          }
        } finally {
          file.end()
          await once(file, 'close')
        }
        return h
      })
      const got = await checksumFile(archive)
      if (got.sha256 !== header.sha256 || got.bytes !== header.bytes) {
        this.init.onDrop('state-checksum-mismatch')
        throw new ProtocolError('checksum-mismatch', `the archive from ${peer} has sha256 ${got.sha256}, not the announced ${header.sha256}`)
      }
      await restoreState(archive, stateDirOf(this.init.dataDir, workload))
      return { bytes: got.bytes, sha256: got.sha256, ms: Math.round(performance.now() - started), from: peer }
    } finally {
      await rm(archive, { force: true })
    }
  }

  private async request<T> (peer: string, request: StateRequest, body: (reader: StreamReader, header: { bytes: number, sha256: string }, touch: () => void) => Promise<T>): Promise<T> {
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
      this.sending++
      try {
        await this.packLocal(request.workload, async (path, sum) => {
          if (sum.bytes > MAX_ARCHIVE_BYTES) return await this.answerError(stream, 'too-large', `the archive is ${sum.bytes} bytes, over ${MAX_ARCHIVE_BYTES}`)
          stream.send(encodeLengthPrefixed(new TextEncoder().encode(JSON.stringify({ ok: true, ...sum }))))
          if (request.op === 'fetch') {
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

const WORKLOAD_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/

function readRequest (value: unknown): StateRequest {
  const r = value as Partial<StateRequest> | null
  if (typeof r !== 'object' || r === null || r.v !== 1 || (r.op !== 'fetch' && r.op !== 'checksum') || typeof r.workload !== 'string' || !WORKLOAD_NAME.test(r.workload)) {
    throw new ProtocolError('bad-request', 'a state request is { v: 1, op: "fetch" | "checksum", workload: <name> }')
  }
  return { v: 1, op: r.op, workload: r.workload }
}

function readHeader (value: unknown): { bytes: number, sha256: string } {
  const h = value as { ok?: unknown, bytes?: unknown, sha256?: unknown, code?: unknown, error?: unknown } | null
  if (typeof h === 'object' && h !== null && h.ok === false) throw new Error(`the peer refused: ${String(h.error)} (${String(h.code)})`)
  if (typeof h !== 'object' || h === null || h.ok !== true || !Number.isSafeInteger(h.bytes) || (h.bytes as number) < 0 ||
    (h.bytes as number) > MAX_ARCHIVE_BYTES || typeof h.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(h.sha256)) {
    throw new ProtocolError('bad-header', 'the answer header is not { ok: true, bytes, sha256 } within bounds')
  }
  return { bytes: h.bytes as number, sha256: h.sha256 }
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
