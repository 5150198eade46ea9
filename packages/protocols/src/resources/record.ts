import { PowerSource as WirePowerSource, ResourceRecord as WireRecord } from '../wire/resources.js'
import {
  MAX_CAPABILITY_NAME_BYTES,
  MAX_DISPLAY_NAMES,
  MAX_GPU_NAMES,
  MAX_INPUT_DEVICES,
  MAX_RESOURCE_RECORD_BYTES,
  RESOURCE_RECORD_VERSION
} from './constants.js'

/**
 * A member's resources and capabilities, in friendly units, and its codec to the bytes carried in the
 * member's `Meta.state` (wire/resources.proto). Encoding clamps and cuts to the bounds in constants.ts, so it
 * always fits; decoding never throws (ARCHITECTURE.md rule 4): a peer's bytes give the record or a reason.
 */

export type PowerSource = 'unknown' | 'ac' | 'battery'

export interface PowerState {
  source: PowerSource
  /** 0..100 where the member has a battery, on AC too. */
  batteryPercent?: number
}

/** What the member can offer to the cluster, in short: the full detail stays on the member. */
export interface CapabilitySummary {
  /** X displays it can reach, such as ":0". At most MAX_DISPLAY_NAMES. */
  displays: string[]
  /** Keyboards and pointers attached. */
  inputDevices: number
  /** GPUs, such as "intel:3e92 i915". At most MAX_GPU_NAMES. */
  gpus: string[]
}

/**
 * One sample. A measurement that could not be taken is `undefined` ("unknown"), never a made-up zero: a
 * full disk and an unreadable disk are different news.
 */
export interface ResourceRecord {
  /** The sampler's sequence number, growing with every sample (wraps at 2^32). */
  seq: number
  /** CPU busy, 0..100 (of all cores together), to 0.1; the real node publishes a moving average over ~15 s. */
  cpuPercent?: number
  cpuCount: number
  /** Load averages, to 0.01. */
  load1?: number
  load5?: number
  load15?: number
  memUsedBytes?: number
  memTotalBytes?: number
  /** Free space for the node's user on the file system of its data dir. */
  diskFreeBytes?: number
  netRxBytesPerSec?: number
  netTxBytesPerSec?: number
  uptimeSec: number
  power: PowerState
  capabilities: CapabilitySummary
}

export type ResourceDropReason =
  /** There are no bytes: the member has not published a record yet. Not an error. */
  | 'empty'
  | 'oversized'
  | 'malformed'
  | 'version'
  | 'invalid-field'

export type DecodedResourceRecord =
  | { ok: true, record: ResourceRecord }
  | { ok: false, reason: ResourceDropReason, detail: string }

const UINT32_MAX = 0xffff_ffff
const MAX_CPU_COUNT = 65_535

const POWER_TO_WIRE: Record<PowerSource, WirePowerSource> = {
  unknown: WirePowerSource.POWER_UNKNOWN,
  ac: WirePowerSource.AC,
  battery: WirePowerSource.BATTERY
}
const POWER_FROM_WIRE: Record<WirePowerSource, PowerSource> = {
  [WirePowerSource.POWER_UNKNOWN]: 'unknown',
  [WirePowerSource.AC]: 'ac',
  [WirePowerSource.BATTERY]: 'battery'
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** `value * scale` clamped to [0, max] and rounded, or undefined (unknown) when it is not a number at all. */
function clampInt (value: number | undefined, max: number, scale = 1): number | undefined {
  if (value === undefined || Number.isNaN(value)) return undefined
  return Math.min(max, Math.max(0, Math.round(value * scale)))
}

/** `name` cut to at most MAX_CAPABILITY_NAME_BYTES of UTF-8, never in the middle of a character. */
export function truncateCapabilityName (name: string): string {
  const bytes = encoder.encode(name)
  if (bytes.length <= MAX_CAPABILITY_NAME_BYTES) return name
  let end = MAX_CAPABILITY_NAME_BYTES
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end-- // back off a continuation byte
  return decoder.decode(bytes.subarray(0, end))
}

/** The record's bytes for `Meta.state`: clamped and cut to the bounds, so always at most MAX_RESOURCE_RECORD_BYTES. */
export function encodeResourceRecord (r: ResourceRecord): Uint8Array {
  const caps = r.capabilities
  const wire: WireRecord = {
    version: RESOURCE_RECORD_VERSION,
    seq: (Number.isFinite(r.seq) ? Math.floor(Math.abs(r.seq)) : 0) % (UINT32_MAX + 1),
    cpuPermille: clampInt(r.cpuPercent, 1_000, 10),
    cpuCount: clampInt(r.cpuCount, MAX_CPU_COUNT) ?? 0,
    load1x100: clampInt(r.load1, UINT32_MAX, 100),
    load5x100: clampInt(r.load5, UINT32_MAX, 100),
    load15x100: clampInt(r.load15, UINT32_MAX, 100),
    memUsedBytes: clampInt(r.memUsedBytes, Number.MAX_SAFE_INTEGER),
    memTotalBytes: clampInt(r.memTotalBytes, Number.MAX_SAFE_INTEGER),
    diskFreeBytes: clampInt(r.diskFreeBytes, Number.MAX_SAFE_INTEGER),
    netRxBytesPerSec: clampInt(r.netRxBytesPerSec, Number.MAX_SAFE_INTEGER),
    netTxBytesPerSec: clampInt(r.netTxBytesPerSec, Number.MAX_SAFE_INTEGER),
    uptimeSec: clampInt(r.uptimeSec, UINT32_MAX) ?? 0,
    power: POWER_TO_WIRE[r.power.source] ?? WirePowerSource.POWER_UNKNOWN,
    batteryPercent: clampInt(r.power.batteryPercent, 100),
    capabilities: {
      displays: caps.displays.slice(0, MAX_DISPLAY_NAMES).map(truncateCapabilityName),
      inputDevices: clampInt(caps.inputDevices, MAX_INPUT_DEVICES) ?? 0,
      gpus: caps.gpus.slice(0, MAX_GPU_NAMES).map(truncateCapabilityName)
    }
  }
  return WireRecord.encode(wire)
}

/** A problem with a decoded wire record, or undefined. */
function checkWire (w: WireRecord): string | undefined {
  if (w.cpuPermille !== undefined && w.cpuPermille > 1_000) return `cpuPermille ${w.cpuPermille} is over 1000`
  if (w.batteryPercent !== undefined && w.batteryPercent > 100) return `batteryPercent ${w.batteryPercent} is over 100`
  for (const field of ['memUsedBytes', 'memTotalBytes', 'diskFreeBytes', 'netRxBytesPerSec', 'netTxBytesPerSec'] as const) {
    const v = w[field]
    if (v !== undefined && !(Number.isSafeInteger(v) && v >= 0)) return `${field} is not a safe integer`
  }
  const caps = w.capabilities
  if (caps !== undefined) {
    if (caps.inputDevices > MAX_INPUT_DEVICES) return `inputDevices ${caps.inputDevices} is over ${MAX_INPUT_DEVICES}`
    for (const name of [...caps.displays, ...caps.gpus]) {
      if (encoder.encode(name).length > MAX_CAPABILITY_NAME_BYTES) return `a capability name is longer than ${MAX_CAPABILITY_NAME_BYTES} bytes`
    }
  }
  return undefined
}

/** Reads a member's `Meta.state`. Never throws: bad bytes give a reason to count and a detail to log. */
export function decodeResourceRecord (bytes: Uint8Array): DecodedResourceRecord {
  if (bytes.length === 0) return { ok: false, reason: 'empty', detail: 'no record yet' }
  if (bytes.length > MAX_RESOURCE_RECORD_BYTES) {
    return { ok: false, reason: 'oversized', detail: `the record is ${bytes.length} bytes, over ${MAX_RESOURCE_RECORD_BYTES}` }
  }
  let w: WireRecord
  try {
    w = WireRecord.decode(bytes, { limits: { capabilities: { displays: MAX_DISPLAY_NAMES, gpus: MAX_GPU_NAMES } } })
  } catch (err) {
    return { ok: false, reason: 'malformed', detail: err instanceof Error ? err.message : String(err) }
  }
  if (w.version !== RESOURCE_RECORD_VERSION) {
    return { ok: false, reason: 'version', detail: `version ${w.version}; this node speaks ${RESOURCE_RECORD_VERSION}` }
  }
  const problem = checkWire(w)
  if (problem !== undefined) return { ok: false, reason: 'invalid-field', detail: problem }

  const record: ResourceRecord = {
    seq: w.seq,
    cpuCount: w.cpuCount,
    uptimeSec: w.uptimeSec,
    power: { source: POWER_FROM_WIRE[w.power] ?? 'unknown' },
    capabilities: {
      displays: w.capabilities?.displays ?? [],
      inputDevices: w.capabilities?.inputDevices ?? 0,
      gpus: w.capabilities?.gpus ?? []
    }
  }
  // Absent stays absent: optional fields are only set when the sender measured them.
  if (w.cpuPermille !== undefined) record.cpuPercent = w.cpuPermille / 10
  if (w.load1x100 !== undefined) record.load1 = w.load1x100 / 100
  if (w.load5x100 !== undefined) record.load5 = w.load5x100 / 100
  if (w.load15x100 !== undefined) record.load15 = w.load15x100 / 100
  if (w.memUsedBytes !== undefined) record.memUsedBytes = w.memUsedBytes
  if (w.memTotalBytes !== undefined) record.memTotalBytes = w.memTotalBytes
  if (w.diskFreeBytes !== undefined) record.diskFreeBytes = w.diskFreeBytes
  if (w.netRxBytesPerSec !== undefined) record.netRxBytesPerSec = w.netRxBytesPerSec
  if (w.netTxBytesPerSec !== undefined) record.netTxBytesPerSec = w.netTxBytesPerSec
  if (w.batteryPercent !== undefined) record.power.batteryPercent = w.batteryPercent
  return { ok: true, record }
}
