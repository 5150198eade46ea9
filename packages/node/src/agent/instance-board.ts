import { TopicValidatorResult, type Message } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import type { MemberView, NodeId } from '@dreammesh/protocols'
import type { DreamHost } from '../host/libp2p-host.js'
import {
  decodeInstanceReport, encodeInstanceReport, INSTANCE_REPORT_VERSION, type InstanceStatus, type ReportDropReason
} from './instance-report.js'
import { seqAfter } from '../node/serial-number.js'

/** The gossipsub topic of instance reports, versioned in its name. */
export const INSTANCES_TOPIC = '/dreammesh/instances/1'
/** A node repeats its report this often even when nothing changed, so a newcomer soon has it, in ms. */
export const INSTANCE_REPORT_REFRESH_MS = 15_000
/** Changes within this window go out as one report, in ms. */
export const INSTANCE_REPORT_DEBOUNCE_MS = 100

export interface InstanceBoardInit {
  host: DreamHost
  selfId: NodeId
  /** Membership's view of a member: reports are taken only from live members. */
  memberOf: (id: NodeId) => MemberView | undefined
  onDrop: (reason: ReportDropReason | 'unsigned' | 'not-a-member' | 'stale') => void
  onChanged: (node: NodeId) => void
}

/** One instance somewhere in the cluster, as `ps` shows it. */
export interface PlacedInstance extends InstanceStatus { node: NodeId }

/**
 * Where every workload instance runs, as each node reports its own on a signed gossipsub topic. A node's
 * report replaces its previous one whole (the newest `seq` wins), and is forgotten when the node dies,
 * leaves or restarts, so `ps` never shows an instance of a node that is gone as running.
 */
export class InstanceBoard {
  private local: InstanceStatus[] = []
  private seq = 0
  private readonly remote = new Map<NodeId, { seq: number, instances: InstanceStatus[] }>()
  private readonly validated = new WeakMap<Message, { seq: number, instances: InstanceStatus[] }>()
  private debounce: NodeJS.Timeout | undefined
  private refresh: NodeJS.Timeout | undefined
  private stopped = false

  constructor (private readonly init: InstanceBoardInit) {}

  start (): void {
    const pubsub = this.init.host.services.pubsub
    pubsub.topicValidators.set(INSTANCES_TOPIC, this.validate)
    pubsub.addEventListener('message', this.onMessage)
    pubsub.subscribe(INSTANCES_TOPIC)
    // A node with nothing to report stays quiet: an idle cluster should cost nothing (issue 4's budget).
    // Going from something to nothing is still published, by setLocal.
    this.refresh = setInterval(() => { if (this.local.length > 0) this.publish() }, INSTANCE_REPORT_REFRESH_MS)
    this.refresh.unref()
  }

  stop (): void {
    this.stopped = true
    if (this.debounce !== undefined) clearTimeout(this.debounce)
    if (this.refresh !== undefined) clearInterval(this.refresh)
    const pubsub = this.init.host.services.pubsub
    pubsub.removeEventListener('message', this.onMessage)
    pubsub.topicValidators.delete(INSTANCES_TOPIC)
  }

  /** This node's instances changed: report them (debounced). */
  setLocal (instances: InstanceStatus[]): void {
    this.local = instances.map(i => ({ ...i }))
    this.init.onChanged(this.init.selfId)
    if (this.debounce !== undefined || this.stopped) return
    this.debounce = setTimeout(() => { this.debounce = undefined; this.publish() }, INSTANCE_REPORT_DEBOUNCE_MS)
    this.debounce.unref()
  }

  /** Every instance known: this node's and what live members reported. */
  all (): PlacedInstance[] {
    const out: PlacedInstance[] = this.local.map(i => ({ ...i, node: this.init.selfId }))
    for (const [node, r] of this.remote) {
      const m = this.init.memberOf(node)
      if (m === undefined || (m.state !== 'alive' && m.state !== 'suspect')) continue
      for (const i of r.instances) out.push({ ...i, node })
    }
    return out.sort((a, b) => a.workload.localeCompare(b.workload) || a.index - b.index || a.node.localeCompare(b.node))
  }

  /** Forgets a node that died, left, restarted or was reaped. */
  forget (node: NodeId): void {
    if (this.remote.delete(node)) this.init.onChanged(node)
  }

  private publish (): void {
    if (this.stopped) return
    this.seq = (this.seq + 1) >>> 0
    const bytes = encodeInstanceReport({ v: INSTANCE_REPORT_VERSION, seq: this.seq, instances: this.local })
    this.init.host.services.pubsub.publish(INSTANCES_TOPIC, bytes).catch(() => {})
  }

  private readonly validate = (_from: PeerId, message: Message): TopicValidatorResult => {
    if (message.type !== 'signed') return this.drop('unsigned', TopicValidatorResult.Reject)
    const origin = message.from.toString()
    const member = this.init.memberOf(origin)
    if (member === undefined || (member.state !== 'alive' && member.state !== 'suspect')) return this.drop('not-a-member', TopicValidatorResult.Ignore)
    const decoded = decodeInstanceReport(message.data)
    if (!decoded.ok) return this.drop(decoded.reason, TopicValidatorResult.Reject)
    const known = this.remote.get(origin)
    if (known !== undefined && !seqAfter(decoded.report.seq, known.seq)) return this.drop('stale', TopicValidatorResult.Ignore)
    this.validated.set(message, { seq: decoded.report.seq, instances: decoded.report.instances })
    return TopicValidatorResult.Accept
  }

  private readonly onMessage = (event: CustomEvent<Message>): void => {
    const message = event.detail
    if (message.topic !== INSTANCES_TOPIC || message.type !== 'signed') return
    let report = this.validated.get(message)
    if (report === undefined) {
      const decoded = decodeInstanceReport(message.data)
      if (!decoded.ok) return
      report = { seq: decoded.report.seq, instances: decoded.report.instances }
    }
    const origin = message.from.toString()
    const known = this.remote.get(origin)
    if (known !== undefined && !seqAfter(report.seq, known.seq)) return
    this.remote.set(origin, report)
    this.init.onChanged(origin)
  }

  private drop (reason: Parameters<InstanceBoardInit['onDrop']>[0], result: TopicValidatorResult): TopicValidatorResult {
    this.init.onDrop(reason)
    return result
  }
}
