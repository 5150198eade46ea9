import { encodeResourceRecord, publishReason, resourcePolicy, type PublishReason, type ResourcePolicy, type ResourceRecord } from '@dreammesh/protocols'

export interface ResourcePublisherInit {
  /**
   * Carries the record: the node passes `state` to membership as `{ type: 'update-meta', meta: { state } }`,
   * which bumps its metaVersion and gossips it. At most MAX_RESOURCE_RECORD_BYTES.
   */
  publish: (state: Uint8Array, record: ResourceRecord, reason: PublishReason) => void
  /** @default resourcePolicy() */
  policy?: ResourcePolicy
  /** The same monotonic clock as the sampler's. @default performance.now */
  nowMs?: () => number
  /** Members of the cluster, this one included: the silence limit grows with it. @default () => 1 */
  clusterSize?: () => number
}

/**
 * The glue between the sampler (a record every second) and membership (a record only when it is news, and
 * at least every `maxSilenceMs`): the pure decision is `publishReason` in @dreammesh/protocols. The CPU
 * figure is judged and published as a moving average over about `cpuSmoothingMs`, not the last second's.
 *
 * ```ts
 * const publisher = new ResourcePublisher({ publish: (state) => { membership.command({ type: 'update-meta', meta: { state } }) } })
 * sampler.addEventListener('sample', (event) => { publisher.offer(event.detail) })
 * ```
 */
export class ResourcePublisher {
  private readonly init: ResourcePublisherInit
  private readonly policy: ResourcePolicy
  private readonly nowMs: () => number
  private lastSent: ResourceRecord | undefined
  private lastSentMs = 0
  /** The CPU average so far, and when its last sample came. */
  private cpuAverage: { percent: number, atMs: number } | undefined
  private readonly counts = { offered: 0, published: 0 }
  /** Records published, by why: what makes an idle cluster talk shows up in `/metrics`. */
  private readonly reasons = new Map<PublishReason, number>()

  constructor (init: ResourcePublisherInit) {
    this.init = init
    this.policy = init.policy ?? resourcePolicy()
    this.nowMs = init.nowMs ?? (() => performance.now())
  }

  /** Publishes `record` if the policy says so; returns why, or undefined when it stayed quiet. */
  offer (sample: ResourceRecord): PublishReason | undefined {
    this.counts.offered++
    const nowMs = this.nowMs()
    const record = this.smoothed(sample, nowMs)
    const reason = publishReason(this.lastSent, this.lastSentMs, record, nowMs, this.policy, this.init.clusterSize?.() ?? 1)
    if (reason === undefined) return undefined
    this.lastSent = record
    this.lastSentMs = nowMs
    this.counts.published++
    this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1)
    this.init.publish(encodeResourceRecord(record), record, reason)
    return reason
  }

  /** `record` with its CPU replaced by the moving average (time-weighted, so a late sample counts for more). */
  private smoothed (record: ResourceRecord, nowMs: number): ResourceRecord {
    if (record.cpuPercent === undefined) return record
    const prev = this.cpuAverage
    const weight = prev === undefined ? 1 : 1 - Math.exp(-Math.max(0, nowMs - prev.atMs) / this.policy.cpuSmoothingMs)
    const percent = prev === undefined ? record.cpuPercent : prev.percent + weight * (record.cpuPercent - prev.percent)
    this.cpuAverage = { percent, atMs: nowMs }
    return { ...record, cpuPercent: Math.round(percent * 10) / 10 }
  }

  /** The last record published, if any. */
  last (): ResourceRecord | undefined {
    return this.lastSent
  }

  get stats (): Readonly<{ offered: number, published: number }> {
    return { ...this.counts }
  }

  /** Records published so far, by reason. */
  publishedBy (): ReadonlyMap<PublishReason, number> {
    return new Map(this.reasons)
  }
}
