import { TopicValidatorResult, type Message } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import { ReportLedger, type MemberView, type NodeId } from '@dreammesh/protocols'
import type { DreamHost } from '../host/libp2p-host.js'
import {
  decodeInstanceReport, encodeInstanceReport, INSTANCE_REPORT_VERSION, type InstanceStatus, type ReportDropReason
} from './instance-report.js'

/** The gossipsub topic of instance reports, versioned in its name. */
export const INSTANCES_TOPIC = '/dreammesh/instances/1'
/** A node repeats its report this often even when nothing changed, so a newcomer soon has it, in ms. */
export const INSTANCE_REPORT_REFRESH_MS = 15_000
/** Changes within this window go out as one report, in ms. */
export const INSTANCE_REPORT_DEBOUNCE_MS = 100
/** Republishes (after a join or a refutation) within this long make one report, in ms. */
export const INSTANCE_REPORT_REPUBLISH_MS = 1_000

export interface InstanceBoardInit {
  host: DreamHost
  selfId: NodeId
  /** Membership's view of a member: reports are taken only from live members. */
  memberOf: (id: NodeId) => MemberView | undefined
  /** This node's membership incarnation, which its reports carry. */
  selfIncarnation: () => number
  onDrop: (reason: ReportDropReason | 'unsigned' | 'not-a-member' | 'stale') => void
  onChanged: (node: NodeId) => void
}

/** A member's report as kept: the incarnation and seq that order it, and its instances. */
interface Report { incarnation: number, seq: number, instances: InstanceStatus[] }


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
  /** Members' reports, kept by the rules the simulator's board follows too (ReportLedger). */
  private readonly remote = new ReportLedger<Report>()
  private readonly validated = new WeakMap<Message, Report>()
  private debounce: NodeJS.Timeout | undefined
  private republishTimer: NodeJS.Timeout | undefined
  /** It published a report with instances in this life: its empty reports matter from then on. */
  private ranSomething = false
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
    this.refresh = setInterval(() => { if (this.worthSaying()) this.publish() }, INSTANCE_REPORT_REFRESH_MS)
    this.refresh.unref()
    // Once at start, even empty: a restarted node's new incarnation replaces what its earlier life reported.
    this.setLocal(this.local)
  }

  /**
   * Reports again, even when nothing changed here: after this node refuted a suspicion (its incarnation rose,
   * so the others forgot its report) or a member joined (it never had it). Only a node that runs something,
   * or ran something in this life, has anything to say: its empty report must replace one that others may
   * still hold (a stop said during a partition can be lost with the connection); a node that never ran
   * anything has no report anywhere. A burst of joins makes one report, within INSTANCE_REPORT_REPUBLISH_MS:
   * in a join storm, a signed message per join per node was a flood that slowed membership, which made more
   * joins (bench: 20 nodes on one host never converged).
   */
  republish (urgent = false): void {
    if (!this.worthSaying() || this.stopped) return
    // After a refutation the others have just forgotten what this node runs: say it again at once.
    if (urgent) { this.setLocal(this.local); return }
    if (this.republishTimer !== undefined) return
    this.republishTimer = setTimeout(() => {
      this.republishTimer = undefined
      if (this.worthSaying() && !this.stopped) this.publish()
    }, INSTANCE_REPORT_REPUBLISH_MS)
    this.republishTimer.unref()
  }

  /**
   * A member is live here again, at `incarnation`: what it reported in an earlier life is forgotten, and a
   * report of this life that came while it was not live yet is taken now.
   */
  memberBack (node: NodeId, incarnation: number): void {
    if (this.remote.memberBack(node, incarnation)) this.init.onChanged(node)
  }

  stop (): void {
    this.stopped = true
    if (this.debounce !== undefined) clearTimeout(this.debounce)
    if (this.republishTimer !== undefined) clearTimeout(this.republishTimer)
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
    for (const [node, r] of this.remote.entries()) {
      const m = this.init.memberOf(node)
      if (m === undefined || (m.state !== 'alive' && m.state !== 'suspect')) continue
      for (const i of r.instances) out.push({ ...i, node })
    }
    return out.sort((a, b) => a.workload.localeCompare(b.workload) || a.index - b.index || a.node.localeCompare(b.node))
  }

  /** Forgets a node that died, left, restarted or was reaped. */
  forget (node: NodeId): void {
    if (this.remote.forget(node)) this.init.onChanged(node)
  }

  /** Whether this node runs, or in this life ran, an instance (see `republish`). */
  private worthSaying (): boolean {
    return this.local.length > 0 || this.ranSomething
  }

  private publish (): void {
    if (this.stopped) return
    if (this.local.length > 0) this.ranSomething = true
    this.seq = (this.seq + 1) >>> 0
    const bytes = encodeInstanceReport({ v: INSTANCE_REPORT_VERSION, incarnation: this.init.selfIncarnation(), seq: this.seq, instances: this.local })
    this.init.host.services.pubsub.publish(INSTANCES_TOPIC, bytes).catch(() => {})
  }

  private readonly validate = (_from: PeerId, message: Message): TopicValidatorResult => {
    if (message.type !== 'signed') return this.drop('unsigned', TopicValidatorResult.Reject)
    const origin = message.from.toString()
    const decoded = decodeInstanceReport(message.data)
    if (!decoded.ok) return this.drop(decoded.reason, TopicValidatorResult.Reject)
    const report: Report = { incarnation: decoded.report.incarnation, seq: decoded.report.seq, instances: decoded.report.instances }
    // An earlier life's or an old report: nothing new. From a member not live here yet (it joined, or came
    // back, before we heard; the sender is a signed, admitted peer): kept aside until it is.
    const verdict = this.remote.judge(origin, report, this.init.memberOf(origin))
    if (verdict === 'stale') return this.drop('stale', TopicValidatorResult.Ignore)
    if (verdict === 'waiting') return this.drop('not-a-member', TopicValidatorResult.Ignore)
    this.validated.set(message, report)
    return TopicValidatorResult.Accept
  }

  private readonly onMessage = (event: CustomEvent<Message>): void => {
    const message = event.detail
    if (message.topic !== INSTANCES_TOPIC || message.type !== 'signed') return
    let report = this.validated.get(message)
    if (report === undefined) {
      const decoded = decodeInstanceReport(message.data)
      if (!decoded.ok) return
      report = { incarnation: decoded.report.incarnation, seq: decoded.report.seq, instances: decoded.report.instances }
    }
    this.take(message.from.toString(), report)
  }

  private take (origin: NodeId, report: Report): void {
    if (this.remote.take(origin, report)) this.init.onChanged(origin)
  }

  private drop (reason: Parameters<InstanceBoardInit['onDrop']>[0], result: TopicValidatorResult): TopicValidatorResult {
    this.init.onDrop(reason)
    return result
  }
}
