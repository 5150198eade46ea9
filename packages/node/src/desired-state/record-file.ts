import { open, readFile, type FileHandle } from 'node:fs/promises'
import { crc32 } from 'node:zlib'
import { writeFileAtomic } from '../identity/atomic-file.js'

/**
 * The desired state's two files share one grammar (docs/protocol/desired-state.md, "On disk"):
 *
 *     file   := magic[8] • record*
 *     record := uint32be(length) • uint32be(crc32(length bytes • payload)) • payload[length]
 *
 * The magic names the file's kind and format version (`DMDSLOG` or `DMDSSNP`, then version byte 1). A kill -9
 * in the middle of an append leaves a short or half-written last record: its length runs past the end of
 * the file or its checksum fails. Such a tail is dropped and counted, never fatal.
 */

/** Bytes before each record's payload: its length and checksum. */
export const RECORD_HEADER_BYTES = 8
/** Bytes of a file's magic. */
export const MAGIC_BYTES = 8
/** The update log's magic: format version 1. */
export const LOG_MAGIC = new Uint8Array([0x44, 0x4d, 0x44, 0x53, 0x4c, 0x4f, 0x47, 0x01]) // "DMDSLOG\x01"
/** The snapshot's magic: format version 1. */
export const SNAPSHOT_MAGIC = new Uint8Array([0x44, 0x4d, 0x44, 0x53, 0x53, 0x4e, 0x50, 0x01]) // "DMDSSNP\x01"

/** A file of the desired state that cannot be used as it is. Its message is for a person. */
export class DesiredStateFileError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'DesiredStateFileError'
  }
}

/** Frames one payload as a record. */
export function encodeRecord (payload: Uint8Array): Uint8Array {
  const record = new Uint8Array(RECORD_HEADER_BYTES + payload.byteLength)
  const view = new DataView(record.buffer)
  view.setUint32(0, payload.byteLength)
  view.setUint32(4, checksum(record.subarray(0, 4), payload))
  record.set(payload, RECORD_HEADER_BYTES)
  return record
}

/** What a file's records parse to. */
export interface ParsedRecords {
  /** Whole records with a good checksum, in order (views into the file's bytes). */
  payloads: Uint8Array[]
  /** Bytes from the start of the file through the last good record: where the next append belongs. */
  validBytes: number
  /** Bytes after the last good record: a torn or corrupt tail (0 for a clean file). */
  tailBytes: number
  /** Why the tail was dropped, when there was one. */
  tailReason?: 'short-header' | 'short-record' | 'oversized-record' | 'bad-checksum'
}

/**
 * Parses `bytes` (a whole file, magic included) into records. Stops at the first record that is short,
 * over `maxRecordBytes`, or fails its checksum: a torn append looks exactly like that, and records after a
 * bad one cannot be trusted to start where it says they do. Throws only if the magic is wrong, since that
 * is not a crash but a file of another kind or version.
 */
export function parseRecords (bytes: Uint8Array, magic: Uint8Array, maxRecordBytes: number): ParsedRecords {
  if (bytes.byteLength < MAGIC_BYTES) {
    // Files are created atomically with their magic, so a short one was never ours.
    throw new DesiredStateFileError(`the file is ${bytes.byteLength} bytes, shorter than its ${MAGIC_BYTES}-byte header`)
  }
  if (!equalBytes(bytes.subarray(0, MAGIC_BYTES), magic)) {
    throw new DesiredStateFileError(`the file does not start with ${describeMagic(magic)} (another format or version)`)
  }
  const payloads: Uint8Array[] = []
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let at = MAGIC_BYTES
  let tailReason: ParsedRecords['tailReason']
  while (at < bytes.byteLength) {
    if (bytes.byteLength - at < RECORD_HEADER_BYTES) {
      tailReason = 'short-header'
      break
    }
    const length = view.getUint32(at)
    if (length > maxRecordBytes) {
      tailReason = 'oversized-record'
      break
    }
    const end = at + RECORD_HEADER_BYTES + length
    if (end > bytes.byteLength) {
      tailReason = 'short-record'
      break
    }
    const payload = bytes.subarray(at + RECORD_HEADER_BYTES, end)
    if (view.getUint32(at + 4) !== checksum(bytes.subarray(at, at + 4), payload)) {
      tailReason = 'bad-checksum'
      break
    }
    payloads.push(payload)
    at = end
  }
  return { payloads, validBytes: at, tailBytes: bytes.byteLength - at, ...(tailReason === undefined ? {} : { tailReason }) }
}

/** Reads a whole file, or undefined when it does not exist. */
export async function readOptionalFile (file: string): Promise<Uint8Array | undefined> {
  try {
    return await readFile(file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

/**
 * Replaces the snapshot with `state`, atomically: after a crash at any moment the old snapshot or the new one
 * is there, whole (see identity/atomic-file.ts).
 */
export async function writeSnapshot (file: string, state: Uint8Array): Promise<void> {
  await writeFileAtomic(file, concat([SNAPSHOT_MAGIC, encodeRecord(state)]))
}

/**
 * The update log: an append-only file of records. Appends are fsynced before `append` resolves, which is
 * what makes an edit acknowledged. The file is created atomically with its magic (so its directory entry is
 * durable before the first record goes in), and on open a torn tail is cut off so new records follow the
 * last good one.
 */
export class UpdateLog {
  private constructor (private readonly file: string, private handle: FileHandle, private size: number) {}

  /** The log's size in bytes, magic included. */
  get sizeBytes (): number {
    return this.size
  }

  /**
   * Opens (or creates) the log, and returns its records and what was dropped from its tail. The tail is
   * truncated away and the truncation fsynced before anything is appended.
   */
  static async open (file: string, maxRecordBytes: number): Promise<{ log: UpdateLog, parsed: ParsedRecords }> {
    let bytes = await readOptionalFile(file)
    if (bytes === undefined) {
      bytes = LOG_MAGIC
      await writeFileAtomic(file, LOG_MAGIC)
    }
    const parsed = parseRecords(bytes, LOG_MAGIC, maxRecordBytes)
    const handle = await open(file, 'r+')
    try {
      if (parsed.tailBytes > 0) {
        await handle.truncate(parsed.validBytes)
        await handle.sync()
      }
    } catch (err) {
      await handle.close()
      throw err
    }
    return { log: new UpdateLog(file, handle, parsed.validBytes), parsed }
  }

  /** Appends records (already framed) and fsyncs them. Resolves only once they are durable. */
  async append (records: Uint8Array): Promise<void> {
    // A positional write at our own idea of the end: after a failed write we never append past a hole.
    let written = 0
    while (written < records.byteLength) {
      const { bytesWritten } = await this.handle.write(records, written, records.byteLength - written, this.size + written)
      written += bytesWritten
    }
    await this.handle.sync()
    this.size += records.byteLength
  }

  /**
   * Starts the log afresh after a compaction: an empty log replaces the old one atomically, so a crash leaves
   * either the old log (whose updates the new snapshot already holds, and Yjs applies idempotently) or the
   * empty one.
   */
  async reset (): Promise<void> {
    await writeFileAtomic(this.file, LOG_MAGIC)
    const handle = await open(this.file, 'r+')
    await this.handle.close().catch(() => {})
    this.handle = handle
    this.size = LOG_MAGIC.byteLength
  }

  async close (): Promise<void> {
    await this.handle.close()
  }
}

/** Concatenates byte arrays into one new array. */
export function concat (parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.byteLength
  }
  return out
}

function checksum (lengthBytes: Uint8Array, payload: Uint8Array): number {
  return crc32(payload, crc32(lengthBytes))
}

function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((x, i) => x === b[i])
}

function describeMagic (magic: Uint8Array): string {
  return `${new TextDecoder().decode(magic.subarray(0, MAGIC_BYTES - 1))} v${magic[MAGIC_BYTES - 1]}`
}
