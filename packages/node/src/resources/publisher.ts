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
}

/**
 * The glue between the sampler (a record every second) and membership (a record only when it is news, and
 * at least every `maxSilenceMs`): the pure decision is `publishReason` in @dreammesh/protocols.
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
  private readonly counts = { offered: 0, published: 0 }

  constructor (init: ResourcePublisherInit) {
    this.init = init
    this.policy = init.policy ?? resourcePolicy()
    this.nowMs = init.nowMs ?? (() => performance.now())
  }

  /** Publishes `record` if the policy says so; returns why, or undefined when it stayed quiet. */
  offer (record: ResourceRecord): PublishReason | undefined {
    this.counts.offered++
    const nowMs = this.nowMs()
    const reason = publishReason(this.lastSent, this.lastSentMs, record, nowMs, this.policy)
    if (reason === undefined) return undefined
    this.lastSent = record
    this.lastSentMs = nowMs
    this.counts.published++
    this.init.publish(encodeResourceRecord(record), record, reason)
    return reason
  }

  /** The last record published, if any. */
  last (): ResourceRecord | undefined {
    return this.lastSent
  }

  get stats (): Readonly<{ offered: number, published: number }> {
    return { ...this.counts }
  }
}
