/**
 * What a node says of the workload instances it runs, as gossiped on INSTANCES_TOPIC (issue 5: "Instance
 * status (starting, running, unhealthy, stopping, failed, with pid, epoch and since) is gossiped, so that
 * `ps` on any node shows the truth"). JSON, versioned, bounded, and checked field by field on receipt.
 */

export const INSTANCE_REPORT_VERSION = 2
/** The most instances one node reports; past it the report is refused (a node runs tens, not thousands). */
export const MAX_REPORTED_INSTANCES = 256
/** The most CPU an instance can report, in thousandths of a core (a 1,024-core machine). */
export const MAX_REPORTED_CPU_MILLIS = 1_024_000
/** The largest report, in bytes. */
export const MAX_INSTANCE_REPORT_BYTES = 64 * 1024
/** The longest workload name, in bytes (as the workload spec bounds it). */
const MAX_WORKLOAD_NAME_BYTES = 64

export const INSTANCE_STATES = ['starting', 'running', 'unhealthy', 'stopping', 'failed'] as const
export type InstanceState = typeof INSTANCE_STATES[number]

export interface InstanceStatus {
  workload: string
  index: number
  state: InstanceState
  /** The process id on its node, while there is a process. */
  pid?: number
  /** The lease epoch the instance runs under. */
  epoch: number
  /** When it entered `state`, in ms since the Unix epoch (the reporting node's wall clock, for display). */
  since: number
  /**
   * Its CPU use over the last few seconds, in thousandths of a core: reported for instances of autoscaled
   * workloads only (their scaler reads it; nothing else changes that often).
   */
  cpuMillis?: number
}

export interface InstanceReport {
  v: number
  /**
   * The reporter's membership incarnation when it published: a restarted (or refuting) node reports under a
   * higher one, and its reports replace the earlier life's whatever their `seq`; a report under a lower
   * incarnation than the receiver knows is an earlier life's and is dropped.
   */
  incarnation: number
  /** Counts up with every report of one process; a receiver keeps only the newest. */
  seq: number
  instances: InstanceStatus[]
}

export type ReportDropReason = 'oversized' | 'malformed' | 'version' | 'invalid-field' | 'too-many'

export function encodeInstanceReport (report: InstanceReport): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(report))
}

/** Decodes and checks a report; never throws. */
export function decodeInstanceReport (bytes: Uint8Array): { ok: true, report: InstanceReport } | { ok: false, reason: ReportDropReason } {
  if (bytes.byteLength > MAX_INSTANCE_REPORT_BYTES) return { ok: false, reason: 'oversized' }
  let body: unknown
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch {
    return { ok: false, reason: 'malformed' }
  }
  if (typeof body !== 'object' || body === null) return { ok: false, reason: 'malformed' }
  const r = body as Partial<InstanceReport>
  if (r.v !== INSTANCE_REPORT_VERSION) return { ok: false, reason: 'version' }
  if (!isUint32(r.seq) || !isUint32(r.incarnation) || !Array.isArray(r.instances)) return { ok: false, reason: 'invalid-field' }
  if (r.instances.length > MAX_REPORTED_INSTANCES) return { ok: false, reason: 'too-many' }
  const instances: InstanceStatus[] = []
  for (const i of r.instances as unknown[]) {
    const s = checkStatus(i)
    if (s === undefined) return { ok: false, reason: 'invalid-field' }
    instances.push(s)
  }
  return { ok: true, report: { v: r.v, incarnation: r.incarnation, seq: r.seq, instances } }
}

function checkStatus (value: unknown): InstanceStatus | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const s = value as Record<string, unknown>
  if (typeof s.workload !== 'string' || s.workload === '' || Buffer.byteLength(s.workload) > MAX_WORKLOAD_NAME_BYTES) return undefined
  if (!isUint32(s.index) || !isUint32(s.epoch) || typeof s.since !== 'number' || !Number.isFinite(s.since)) return undefined
  if (!(INSTANCE_STATES as readonly unknown[]).includes(s.state)) return undefined
  if (s.pid !== undefined && !isUint32(s.pid)) return undefined
  if (s.cpuMillis !== undefined && !(isUint32(s.cpuMillis) && s.cpuMillis <= MAX_REPORTED_CPU_MILLIS)) return undefined
  return {
    workload: s.workload,
    index: s.index as number,
    state: s.state as InstanceState,
    epoch: s.epoch as number,
    since: s.since,
    ...(s.pid === undefined ? {} : { pid: s.pid as number }),
    ...(s.cpuMillis === undefined ? {} : { cpuMillis: s.cpuMillis as number })
  }
}

function isUint32 (v: unknown): v is number {
  return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffff_ffff
}
