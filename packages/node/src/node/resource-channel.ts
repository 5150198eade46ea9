import { TopicValidatorResult, type Message } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import {
  decodeResourceRecord, seqAfter, type MemberView, type NodeId, type PublishReason, type ResourceRecord
} from '@dreammesh/protocols'
import { ResourcePublisher } from '../resources/publisher.js'
import { ResourceSampler } from '../resources/sampler.js'
import type { DreamHost } from '../host/libp2p-host.js'

/**
 * The gossipsub topic of resource records. Versioned in its name: a node of another version neither
 * subscribes nor reads.
 */
export const RESOURCES_TOPIC = '/dreammesh/resources/1'

/**
 * The reasons a record also takes the fast copy on gossipsub: what changes what the cluster may ask of this
 * member (its first record, power, capabilities, a disk-free level). Routine news (CPU, memory, load,
 * network, the silence refresh) takes membership alone, where it rides on probes and acks: placement reads
 * requested resources, not sampled ones, so a second or two is soon enough for it. At N=20 the fast copy
 * of routine news was a third of an idle node's messages (every record reaches every member about five
 * times through a gossipsub mesh of four), and all of it was about CPU averages that nobody waited for.
 */
export const FAST_COPY_REASONS: ReadonlySet<PublishReason> = new Set<PublishReason>(['first', 'power', 'capabilities', 'disk'])

/** Why a gossiped resource record was not taken (counted per reason in `/metrics`). */
export type GossipDropReason =
  | 'unsigned' | 'not-a-member' | 'stale' | 'empty' | 'oversized' | 'malformed' | 'version' | 'invalid-field'

export interface ResourceChannelInit {
  host: DreamHost
  selfId: NodeId
  dataDir: string
  userTags: string[]
  /** Membership's view of a member (for the validator: is the origin a live member?). */
  memberOf: (id: NodeId) => MemberView | undefined
  /** Puts the record in this member's `Meta.state` (an `update-meta`). */
  updateState: (state: Uint8Array) => void
  onDrop: (reason: GossipDropReason) => void
  onChanged: (origin: NodeId) => void
  /** Members of the cluster, this one included (the quiet refresh is rarer in a bigger cluster). */
  clusterSize?: () => number
  sampleIntervalMs?: number
}

/**
 * Carries resource records both ways a cluster wants them.
 *
 * - The durable copy: the record is this member's owner-versioned `Meta.state`. Membership spreads it,
 *   anti-entropy repairs a peer that missed it, a late joiner gets it in its first sync, and it expires with
 *   the member. Published when it is news (ResourcePublisher's policy) and at least every `maxSilenceMs`.
 * - The fast copy: the same bytes on the gossipsub topic, signed by their origin (StrictSign) and checked
 *   by every receiver, which reaches every subscriber in one mesh hop instead of a few gossip rounds; only
 *   for the reasons in FAST_COPY_REASONS.
 *
 * A reader takes whichever copy has the higher sequence number (ADR 0007).
 */
export class ResourceChannel {
  readonly sampler: ResourceSampler
  private readonly publisher: ResourcePublisher
  /** Gossiped records by origin; cleared when the member restarts, dies, leaves or is reaped. */
  private readonly gossiped = new Map<NodeId, ResourceRecord>()
  private stopped = false
  /** Records the validator decoded, by message, so delivery does not decode them again. */
  private readonly validated = new WeakMap<Message, ResourceRecord>()

  constructor (private readonly init: ResourceChannelInit) {
    this.sampler = new ResourceSampler({
      dataDir: init.dataDir,
      tags: init.userTags,
      ...(init.sampleIntervalMs === undefined ? {} : { sampleIntervalMs: init.sampleIntervalMs })
    })
    this.publisher = new ResourcePublisher({
      publish: (state, _record, reason) => { this.publish(state, reason) },
      ...(init.clusterSize === undefined ? {} : { clusterSize: init.clusterSize })
    })
  }

  async start (): Promise<void> {
    const pubsub = this.init.host.services.pubsub
    pubsub.topicValidators.set(RESOURCES_TOPIC, this.validate)
    pubsub.addEventListener('message', this.onMessage)
    pubsub.subscribe(RESOURCES_TOPIC)
    this.sampler.addEventListener('sample', this.onSample)
    await this.sampler.start()
  }

  async stop (): Promise<void> {
    this.stopped = true
    this.sampler.removeEventListener('sample', this.onSample)
    await this.sampler.stop()
    const pubsub = this.init.host.services.pubsub
    pubsub.removeEventListener('message', this.onMessage)
    pubsub.topicValidators.delete(RESOURCES_TOPIC)
  }

  /** A member's newest record (gossip or membership, the higher seq), or undefined before its first. */
  recordOf (member: MemberView): ResourceRecord | undefined {
    if (member.id === this.init.selfId) return this.publisher.last() ?? this.sampler.current()
    const viaGossip = this.gossiped.get(member.id)
    const decoded = decodeResourceRecord(member.meta.state)
    const viaMembership = decoded.ok ? decoded.record : undefined
    if (viaGossip === undefined) return viaMembership
    if (viaMembership === undefined) return viaGossip
    return seqAfter(viaMembership.seq, viaGossip.seq) ? viaMembership : viaGossip
  }

  /** Forgets what gossip said of a member whose process changed (restart) or that is gone. */
  forget (id: NodeId): void {
    this.gossiped.delete(id)
  }

  stats (): { published: number, offered: number, sampleErrors: number, publishedBy: ReadonlyMap<PublishReason, number> } {
    return { ...this.publisher.stats, sampleErrors: this.sampler.stats.sampleErrors, publishedBy: this.publisher.publishedBy() }
  }

  private readonly onSample = (event: CustomEvent<ResourceRecord>): void => {
    if (!this.stopped) this.publisher.offer(event.detail)
  }

  private publish (state: Uint8Array, reason: PublishReason): void {
    if (this.stopped) return
    this.init.updateState(state)
    this.init.onChanged(this.init.selfId)
    if (!FAST_COPY_REASONS.has(reason)) return
    // Best effort: with no subscribed peer yet, membership's copy still carries it.
    this.init.host.services.pubsub.publish(RESOURCES_TOPIC, state).catch(() => {})
  }

  /**
   * gossipsub calls this before it forwards or delivers a message. Reject (which also lowers the sender's
   * peer score) what is malformed; Ignore what is merely not for us now (stale, an origin not yet known).
   */
  private readonly validate = (_from: PeerId, message: Message): TopicValidatorResult => {
    if (message.type !== 'signed') return this.drop('unsigned', TopicValidatorResult.Reject)
    const origin = message.from.toString()
    const member = this.init.memberOf(origin)
    if (member === undefined || (member.state !== 'alive' && member.state !== 'suspect')) {
      return this.drop('not-a-member', TopicValidatorResult.Ignore)
    }
    const decoded = decodeResourceRecord(message.data)
    if (!decoded.ok) return this.drop(decoded.reason, TopicValidatorResult.Reject)
    const known = this.gossiped.get(origin)
    if (known !== undefined && !seqAfter(decoded.record.seq, known.seq)) return this.drop('stale', TopicValidatorResult.Ignore)
    this.validated.set(message, decoded.record)
    return TopicValidatorResult.Accept
  }

  private readonly onMessage = (event: CustomEvent<Message>): void => {
    const message = event.detail
    if (message.topic !== RESOURCES_TOPIC || message.type !== 'signed') return
    let record = this.validated.get(message)
    if (record === undefined) {
      // gossipsub handed over another object than it validated: decode again (the validator counted drops).
      const decoded = decodeResourceRecord(message.data)
      if (!decoded.ok) return
      record = decoded.record
    }
    const origin = message.from.toString()
    this.gossiped.set(origin, record)
    this.init.onChanged(origin)
  }

  private drop (reason: GossipDropReason, result: TopicValidatorResult): TopicValidatorResult {
    this.init.onDrop(reason)
    return result
  }
}
