import type { MemberRole, MemberState } from '@dreammesh/protocols'

/**
 * One member as the API shows it: the `members` and `self` of `dreammesh status --json` (issue 4 fixes
 * this shape; add fields, never rename them).
 */
export interface MemberJson {
  /** The member's libp2p peer id. */
  id: string
  /** Its human name, unique among live members (the name guard enforces it). */
  name: string
  role: MemberRole
  state: MemberState
  /** SWIM incarnation: how many times it refuted a suspicion or restarted. */
  incarnation: number
  /** The multiaddrs it advertises. */
  addrs: string[]
  tags: string[]
  /** Its last gossiped resource sample, or null before the first one arrives. */
  resources: unknown | null
  /** How long ago this node last heard from it, in ms; null if never (and for self). */
  lastHeardMs: number | null
  /** Round-trip time over its open connection, in ms; null without one. */
  rttMs: number | null
}

/**
 * One line of `/v1/events`. `type` is a member event (`member:joined`, `member:suspect`, `member:alive`,
 * `member:dead`, `member:left`, `member:updated`) or `resources:changed`; it is a plain string so a newer
 * node's new event types reach older clients instead of failing them.
 */
export interface ApiEvent {
  type: string
  /** When the node observed it, in ms since the epoch. */
  atMs: number
  /** The member right after the change. */
  member: MemberJson
  /** Who reported it (the accuser of a suspicion or death), when known. */
  from?: string
}

/** Sent when a stream has been quiet for a heartbeat interval, so clients can tell a quiet node from a dead one. */
export interface HeartbeatLine { type: 'heartbeat', atMs: number }

/** The last line of a stream whose client fell too far behind; the stream is closed after it. */
export interface OverflowLine { type: 'overflow', atMs: number, maxEventBacklog: number }

/**
 * The seam between the API and the node: everything the API needs, nothing of how the node works. The
 * node implements it over `DreamNode`; tests implement it with a few arrays.
 */
export interface ApiSource {
  /** This node. */
  self: () => MemberJson
  /** Every member this node knows, not including itself. */
  members: () => MemberJson[]
  /** Calls `listener` for each event until the returned function is called. */
  subscribe: (listener: (event: ApiEvent) => void) => () => void
  /**
   * Starts a graceful leave; the daemon exits after it. Called after the HTTP answer has been sent, since
   * stopping the node closes this very server.
   */
  leave: () => Promise<void>
  /** Puts a member (by peer id) on the replicated deny list; resolves once fsynced on this node. */
  revoke: (peerId: string, reason: string) => Promise<void>
  /** Takes a peer id off the deny list; false when it was not on it. */
  allow?: (peerId: string) => Promise<boolean>
  /** The lease voters, with each one's name and state when known. */
  voters?: () => VotersJson
  /** Replaces the lease voters (peer ids); the lease machines walk there one member at a time. */
  setVoters?: (peers: string[]) => Promise<void>
  /** The desired workloads and where their instances run (absent when the node runs no workloads). */
  workloads?: () => WorkloadJson[]
  /** Validates a spec and writes it into the desired state (fsynced), or lists every problem. */
  run?: (spec: unknown) => Promise<{ ok: true, value: { name: string, voters: string[] } } | { ok: false, problems: string[] }>
  /** Removes a workload from the desired state; false when there is none of that name. */
  stopWorkload?: (name: string) => Promise<boolean>
  /** Marks a member (by peer id) as draining, or not (`on` false). */
  drain?: (peerId: string, on: boolean) => Promise<void>
  /** Asks slot `index` of a workload to run on `to` (a peer id); `fresh` lets it start without its old state. */
  move?: (workload: string, index: number, to: string, fresh: boolean) => Promise<void>
  /** Sets the instance count of a cluster-aware workload. */
  scale?: (workload: string, instances: number) => Promise<void>
  /** Re-places slot `index` of a workload off `node` (an instance's `leave()`); resolves where it goes, or undefined when nowhere. */
  leaveSlot?: (workload: string, index: number, node: string) => Promise<string | undefined>
  /**
   * The log lines of an instance of a workload, from `node` or from the node that runs it (or ran it last),
   * also once the workload was stopped; `running` says whether it runs there now. Rejects with a
   * LogsRefusedError (logs/request.ts) when no node keeps them (`unknown-instance`) or the node refuses.
   */
  logs?: (workload: string, request: { index: number, tail: number, follow: boolean, streams: Array<'stdout' | 'stderr'> }, node: string | undefined, signal: AbortSignal)
  => Promise<{ node: string, nodeName: string, running?: boolean, lines: AsyncIterable<{ stream: string, line: string } | { skipped: number }> } | undefined>
  /** Everything about one workload, or undefined when there is none of that name. */
  inspect?: (workload: string) => Promise<WorkloadDetailJson | undefined>
}

/** One workload as `ps --json` prints it. */
export interface WorkloadJson {
  name: string
  kind: string
  /** `cpuMillis`: the instance's CPU over the last few seconds, for autoscaled workloads only. */
  instances: Array<{ node: string, nodeName: string, index: number, state: string, pid: number | null, epoch: number, since: number, cpuMillis?: number }>
  /** Slots waiting for a node, with why. */
  pending: Array<{ index: number, reason: string, detail: string }>
  /** What is wrong with a spec that fails validation (it is not placed). */
  problems?: string[]
}

/** `voters --json`. */
export interface VotersJson {
  voters: Array<{ id: string, name: string | null, state: string | null, role: string | null, denied: boolean }>
  /** Who set them, and when (wall clock of that node), or null before the first workload. */
  by: string | null
  atMs: number | null
  /**
   * The set this node's lease machine uses now, and its version: it walks to the desired list one member
   * at a time, each step a voter hold apart, so for a few seconds after a change it differs. Null before
   * leases start on this node.
   */
  inForce: { version: number, voters: string[] } | null
}

/** `inspect --json`: one workload in full. */
export interface WorkloadDetailJson extends WorkloadJson {
  /** The spec as stored (validated specs have every default filled in). */
  spec: unknown
  /** Every slot as this node's last placement computed it. */
  slots: unknown[]
  /** Standing move requests of its slots. */
  moves: Array<{ index: number, to: string, toName: string, fresh: boolean }>
  /** The instance count set by `scale`, if any. */
  scale: number | null
  /** Which node holds the newest copy of slot 0's state, and as of which epoch (null without a state dir or before a first start). */
  stateHome: { node: string, nodeName: string, epoch: number } | null
  /** The sha256 of the archive of that copy (asked of its node), or null when unknown. */
  stateChecksum: string | null
  stateBytes: number | null
  /** Why the checksum could not be had, when it could not. */
  stateChecksumError?: string
  /** The last transfer of its state onto THIS node. */
  lastTransfer: { from: string, bytes: number, sha256: string, ms: number, epoch: number, atMs: number, snapshotAgeMs?: number } | null
  /** Slots that wait for their state, with why. */
  waitingForState: Array<{ index: number, why: string }>
}

/** The body of every error answer: `code` is stable for programs, `error` is written for people. */
export interface ApiErrorBody {
  error: string
  code: string
  /** For `ambiguous-name`: the members that share the name. */
  candidates?: Array<Pick<MemberJson, 'id' | 'name' | 'state'>>
  /** For `bad-spec`: every problem of the workload spec, each with its field path. */
  problems?: string[]
}
