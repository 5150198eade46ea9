import type { CapabilitySummary, ResourceRecord } from './record.js'

/**
 * When a member re-publishes its resource record. Every publish is an `update-meta`: it bumps the member's
 * metaVersion and is gossiped to the whole cluster, so it must be news. A node samples every second but
 * publishes only when a sample differs from the last one *sent* beyond a threshold, and at least every
 * `maxSilenceMs` so that readers see a fresh record (and fresh small drifts) from a quiet member too.
 * Pure: the caller passes the clock.
 */
export interface ResourcePolicy {
  /** CPU moved by this many percentage points (of all cores) since the last record sent. */
  cpuDeltaPercent: number
  /**
   * The time constant, in ms, of the moving average the CPU figure is judged and published as. One second of
   * CPU is mostly noise (a GC, a compile, a neighbour's burst) and placement wants sustained load: a step
   * of 40 points is news about 10 s later, a one-second spike to 100 % never.
   */
  cpuSmoothingMs: number
  /** Memory used moved by this many percent of total memory. */
  memDeltaPercent: number
  /**
   * The 5-minute load moved by this much per core: 0.5 on a 4-core machine is two whole cores. The 1-minute
   * average of a machine whose processes wake briefly and often swings by a few tenths while it is idle,
   * and by a whole core on a host that runs twenty agents; placement wants sustained load.
   */
  loadDeltaPerCore: number
  /** Receive or send throughput moved by this many bytes per second. */
  netDeltaBytesPerSec: number
  /**
   * Free disk levels, in bytes: crossing one (either way) is news, drifting between two is not. Placement
   * cares whether a disk is nearly full, not about its last megabyte.
   */
  diskFreeLevelsBytes: number[]
  /** Publish at least this often, in ms, even when nothing moved (T in the issue), in a small cluster. */
  maxSilenceMs: number
  /**
   * T grows with the cluster: at least this many ms per member, so that the whole cluster sends a quiet
   * refresh every few seconds, not N of them a minute. Every record reaches every member, so N members
   * each refreshing every T cost each member N/T receptions a second: 60 s up to 10 members, 120 s at 20.
   */
  silencePerMemberMs: number
  /**
   * Publish at most this often, in ms, whatever moved: a flapping measurement must not become a gossip
   * storm. A first record is never held back.
   */
  minIntervalMs: number
}

const GIB = 1024 ** 3

/**
 * The defaults: a LAN of a few dozen members; a record every 60 s when quiet, every 15 s at most when busy.
 * Every record is an update-meta that membership gossips to all, so these rates set much of an idle
 * cluster's traffic: at 2 s / 10 s, resource news kept gossip running all the time (measured in
 * bench:mesh), for numbers placement must not chase anyway (it uses requested resources). Twenty idle
 * agents on one host still published every 15 s on 1-second CPU spikes and load1 swings of 0.25 a core,
 * which doubled their traffic: hence the CPU average, and half a core of the 5-minute load.
 */
export function resourcePolicy (): ResourcePolicy {
  return {
    cpuDeltaPercent: 20,
    cpuSmoothingMs: 15_000,
    memDeltaPercent: 5,
    loadDeltaPerCore: 0.5,
    netDeltaBytesPerSec: 12_500_000, // 100 Mbit/s: a transfer starting or stopping, not its jitter
    diskFreeLevelsBytes: [1 * GIB, 5 * GIB, 20 * GIB, 100 * GIB],
    maxSilenceMs: 60_000,
    silencePerMemberMs: 6_000,
    minIntervalMs: 15_000
  }
}

export type PublishReason =
  | 'first'
  | 'silence'
  | 'cpu'
  | 'memory'
  | 'load'
  | 'network'
  | 'disk'
  | 'power'
  | 'capabilities'

/** Two measurements differ by at least `delta`; a measurement appearing or disappearing counts as news. */
function moved (a: number | undefined, b: number | undefined, delta: number): boolean {
  if (a === undefined || b === undefined) return a !== b
  return Math.abs(a - b) >= delta
}

/** The index of the level band `free` falls in, or -1 when unknown. */
function diskBand (free: number | undefined, levelsBytes: number[]): number {
  if (free === undefined) return -1
  let band = 0
  for (const level of levelsBytes) if (free >= level) band++
  return band
}

function memPercent (r: ResourceRecord): number | undefined {
  if (r.memUsedBytes === undefined || r.memTotalBytes === undefined || r.memTotalBytes <= 0) return undefined
  return 100 * r.memUsedBytes / r.memTotalBytes
}

function sameList (a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

export function sameCapabilities (a: CapabilitySummary, b: CapabilitySummary): boolean {
  return a.inputDevices === b.inputDevices && sameList(a.displays, b.displays) && sameList(a.gpus, b.gpus)
}

/** T for a cluster of `clusterSize` members (this one included): see `silencePerMemberMs`. */
export function silenceMs (policy: ResourcePolicy, clusterSize: number): number {
  return Math.max(policy.maxSilenceMs, policy.silencePerMemberMs * Math.max(1, clusterSize))
}

/**
 * Why `next` should be published now, or undefined to stay quiet. `last` is the last record sent (undefined
 * before the first) and `lastSentMs` when it was sent, on the same clock as `nowMs`. `clusterSize` (this
 * member included) stretches the silence limit (see `silencePerMemberMs`).
 */
export function publishReason (
  last: ResourceRecord | undefined,
  lastSentMs: number,
  next: ResourceRecord,
  nowMs: number,
  policy: ResourcePolicy,
  clusterSize = 1
): PublishReason | undefined {
  if (last === undefined) return 'first'
  const sinceMs = nowMs - lastSentMs
  if (sinceMs >= silenceMs(policy, clusterSize)) return 'silence'
  if (sinceMs < policy.minIntervalMs) return undefined
  // Power and capabilities first: they change what the cluster may ask of this member.
  if (last.power.source !== next.power.source) return 'power'
  if (!sameCapabilities(last.capabilities, next.capabilities)) return 'capabilities'
  if (moved(last.cpuPercent, next.cpuPercent, policy.cpuDeltaPercent)) return 'cpu'
  if (moved(memPercent(last), memPercent(next), policy.memDeltaPercent)) return 'memory'
  const cores = Math.max(1, next.cpuCount)
  if (moved(last.load5, next.load5, policy.loadDeltaPerCore * cores)) return 'load'
  if (diskBand(last.diskFreeBytes, policy.diskFreeLevelsBytes) !== diskBand(next.diskFreeBytes, policy.diskFreeLevelsBytes)) return 'disk'
  if (moved(last.netRxBytesPerSec, next.netRxBytesPerSec, policy.netDeltaBytesPerSec)) return 'network'
  if (moved(last.netTxBytesPerSec, next.netTxBytesPerSec, policy.netDeltaBytesPerSec)) return 'network'
  return undefined
}

/** Whether `next` should be published now: see `publishReason`. */
export function shouldPublish (
  last: ResourceRecord | undefined,
  lastSentMs: number,
  next: ResourceRecord,
  nowMs: number,
  policy: ResourcePolicy,
  clusterSize = 1
): boolean {
  return publishReason(last, lastSentMs, next, nowMs, policy, clusterSize) !== undefined
}
