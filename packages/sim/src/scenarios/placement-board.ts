import type { Assignment, MemberView, NodeId, Transport } from '@dreammesh/protocols'

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
  /** Runs `fn` after `delayMs` of this node's clock, unless the agent died first (held while it is paused). */
  later: (delayMs: number, fn: () => void) => void
  /** A remote report changed what this node knows: reconcile. */
  onChanged: () => void
  /** A report was dropped, with why. */
  onDrop: (reason: 'not-a-member' | 'stale' | 'malformed') => void
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

export class SimInstanceBoard {
  private local: ReportedInstance[] = []
  private seq = 0
  private readonly remote = new Map<NodeId, { seq: number, instances: ReportedInstance[] }>()
  private debounceArmed = false
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
      if (this.local.length > 0) this.publish()
      this.init.later(INSTANCE_REPORT_REFRESH_MS, refresh)
    }
    this.init.later(INSTANCE_REPORT_REFRESH_MS, refresh)
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
    for (const [node, r] of this.remote) {
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
    if (this.remote.delete(node)) this.init.onChanged()
  }

  private publish (): void {
    this.seq = (this.seq + 1) >>> 0
    this.published++
    const bytes = encoder.encode(JSON.stringify({ seq: this.seq, instances: this.local }))
    for (const peer of this.init.peers) this.init.send(peer, bytes)
  }

  private receive (from: NodeId, bytes: Uint8Array): void {
    const member = this.init.memberOf(from)
    if (member === undefined || (member.state !== 'alive' && member.state !== 'suspect')) { this.init.onDrop('not-a-member'); return }
    const report = decodeReport(bytes)
    if (report === undefined) { this.init.onDrop('malformed'); return }
    const known = this.remote.get(from)
    if (known !== undefined && !seqAfter(report.seq, known.seq)) { this.init.onDrop('stale'); return }
    this.remote.set(from, report)
    this.init.onChanged()
  }
}

/** RFC 1982 serial-number order, as the real board compares report sequence numbers. */
function seqAfter (a: number, b: number): boolean {
  const diff = (a - b) >>> 0
  return diff !== 0 && diff < 0x8000_0000
}

function decodeReport (bytes: Uint8Array): { seq: number, instances: ReportedInstance[] } | undefined {
  try {
    const r = JSON.parse(decoder.decode(bytes)) as { seq?: unknown, instances?: unknown }
    if (typeof r.seq !== 'number' || !Array.isArray(r.instances) || r.instances.length > MAX_REPORTED_INSTANCES) return undefined
    return { seq: r.seq, instances: r.instances as ReportedInstance[] }
  } catch {
    return undefined
  }
}
