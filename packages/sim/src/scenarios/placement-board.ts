import { ReportLedger, type Assignment, type MemberView, type NodeId, type Transport } from '@dreammesh/protocols'

/**
 * The instance board of one simulated agent: where every workload instance runs, as each node reports its
 * own. It plays the real node's InstanceBoard (packages/node/src/agent/instance-board.ts) with the same
 * rules and numbers: a report replaces the reporter's previous one whole, only the newest `seq` is kept,
 * reports are taken only from members this node sees alive or suspect, a member that dies, leaves, joins
 * again or is reaped is forgotten, changes go out debounced, and a node with instances repeats its report
 * every 15 s. Reports travel as frames on the board channel to every other machine (gossipsub's mesh in the
 * real node), so they take the network's delay.
 */

/** Changes within this window go out as one report, in ms (INSTANCE_REPORT_DEBOUNCE_MS of the real node). */
export const INSTANCE_REPORT_DEBOUNCE_MS = 100
/** Republishes within this window make one report, in ms (INSTANCE_REPORT_REPUBLISH_MS of the real node). */
export const INSTANCE_REPORT_REPUBLISH_MS = 1_000
/** A node with instances repeats its report this often, in ms (INSTANCE_REPORT_REFRESH_MS of the real node). */
export const INSTANCE_REPORT_REFRESH_MS = 15_000
/** The most instances one report may carry (MAX_REPORTED_INSTANCES of the real node). */
const MAX_REPORTED_INSTANCES = 256

/** One instance as its node reports it. */
export interface ReportedInstance {
  workload: string
  index: number
  /** `running`, or `stopping` while its graceful stop is under way. */
  state: 'running' | 'stopping'
  epoch: number
}

export interface SimBoardInit {
  selfId: NodeId
  /** The board channel of this node's transport (reports arrive on it). */
  transport: Transport
  /** Every other machine of the cluster. */
  peers: readonly NodeId[]
  /** Sends a report to one peer, over the connection the real node's gossipsub rides (see placement-host.ts). */
  send: (peer: NodeId, bytes: Uint8Array) => void
  /** This node's membership view of a member. */
  memberOf: (id: NodeId) => MemberView | undefined
  /** This node's membership incarnation, which its reports carry. */
  selfIncarnation: () => number
  /** Runs `fn` after `delayMs` of this node's clock, unless the agent died first (held while it is paused). */
  later: (delayMs: number, fn: () => void) => void
  /** A remote report changed what this node knows: reconcile. */
  onChanged: () => void
  /** A report was dropped, with why. */
  onDrop: (reason: 'not-a-member' | 'stale' | 'malformed') => void
}

/** A member's report as kept: the incarnation and seq that order it, and its instances. */
interface Report { incarnation: number, seq: number, instances: ReportedInstance[] }


const encoder = new TextEncoder()
const decoder = new TextDecoder()

export class SimInstanceBoard {
  private local: ReportedInstance[] = []
  private seq = 0
  /** Members' reports, kept by the real node's rules (ReportLedger). */
  private readonly remote = new ReportLedger<Report>()
  private debounceArmed = false
  private republishArmed = false
  private ranSomething = false
  /** Reports published (for the run's counters). */
  published = 0

  constructor (private readonly init: SimBoardInit) {}

  start (): void {
    this.init.transport.listen({
      onPacket: () => {},
      onFrame: (from, bytes) => { this.receive(from, bytes) },
      onClosed: () => {}
    })
    const refresh = (): void => {
      // A node with nothing to report stays quiet, as the real one does.
      if (this.worthSaying()) this.publish()
      this.init.later(INSTANCE_REPORT_REFRESH_MS, refresh)
    }
    this.init.later(INSTANCE_REPORT_REFRESH_MS, refresh)
    // Once at start, even empty: a restarted node's new incarnation replaces what its earlier life reported.
    this.setLocal(this.local)
  }

  /** Reports again, coalesced within INSTANCE_REPORT_REPUBLISH_MS, when it runs or ran something (as InstanceBoard). */
  republish (urgent = false): void {
    if (!this.worthSaying()) return
    if (urgent) { this.setLocal(this.local); return }
    if (this.republishArmed) return
    this.republishArmed = true
    this.init.later(INSTANCE_REPORT_REPUBLISH_MS, () => { this.republishArmed = false; if (this.worthSaying()) this.publish() })
  }

  /** A member is live here at `incarnation`: forget an earlier life's report, take one that waited. */
  memberBack (node: NodeId, incarnation: number): void {
    if (this.remote.memberBack(node, incarnation)) this.init.onChanged()
  }

  /** This node's instances changed: report them (debounced). */
  setLocal (instances: ReportedInstance[]): void {
    this.local = instances
    if (this.debounceArmed) return
    this.debounceArmed = true
    this.init.later(INSTANCE_REPORT_DEBOUNCE_MS, () => { this.debounceArmed = false; this.publish() })
  }

  /** Where other live members run instances, as placement's `current`. */
  remoteAssignments (): Assignment[] {
    const out: Assignment[] = []
    for (const [node, r] of this.remote.entries()) {
      const m = this.init.memberOf(node)
      if (m === undefined || (m.state !== 'alive' && m.state !== 'suspect')) continue
      for (const i of r.instances) out.push({ workload: i.workload, index: i.index, node })
    }
    return out
  }

  /** What `node` last reported, if it is remembered. */
  reportOf (node: NodeId): readonly ReportedInstance[] {
    return this.remote.get(node)?.instances ?? []
  }

  /** Forgets a node that died, left, joined again or was reaped. */
  forget (node: NodeId): void {
    if (this.remote.forget(node)) this.init.onChanged()
  }

  /** Whether this node runs, or in this life ran, an instance. */
  private worthSaying (): boolean {
    return this.local.length > 0 || this.ranSomething
  }

  private publish (): void {
    if (this.local.length > 0) this.ranSomething = true
    this.seq = (this.seq + 1) >>> 0
    this.published++
    const bytes = encoder.encode(JSON.stringify({ incarnation: this.init.selfIncarnation(), seq: this.seq, instances: this.local }))
    for (const peer of this.init.peers) this.init.send(peer, bytes)
  }

  private receive (from: NodeId, bytes: Uint8Array): void {
    const report = decodeReport(bytes)
    if (report === undefined) { this.init.onDrop('malformed'); return }
    const verdict = this.remote.judge(from, report, this.init.memberOf(from))
    if (verdict === 'waiting') this.init.onDrop('not-a-member')
    else if (verdict === 'stale' || !this.remote.take(from, report)) this.init.onDrop('stale')
    else this.init.onChanged()
  }
}

function decodeReport (bytes: Uint8Array): Report | undefined {
  try {
    const r = JSON.parse(decoder.decode(bytes)) as { incarnation?: unknown, seq?: unknown, instances?: unknown }
    if (typeof r.seq !== 'number' || typeof r.incarnation !== 'number' || !Array.isArray(r.instances) || r.instances.length > MAX_REPORTED_INSTANCES) return undefined
    return { incarnation: r.incarnation, seq: r.seq, instances: r.instances as ReportedInstance[] }
  } catch {
    return undefined
  }
}
