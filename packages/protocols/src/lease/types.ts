import type { NodeId } from '../core/ids.js'
import type { Output } from '../core/state-machine.js'

/**
 * The lease machine's public types: what a host tells it, what it reports, and what the host must make
 * durable for it. Resources are opaque keys ("w/web/0", "input/focus"): one primitive for every kind of
 * ownership.
 */

/** Who votes on leases: the server members the desired state lists, at a version (one member per step). */
export interface VoterSet {
  /** Grows by one with every single-member change; every lease request names the version it counts under. */
  version: number
  /** Sorted node ids. */
  voters: NodeId[]
}

/** What a voter granted, as it must survive a crash: written durably BEFORE the grant is sent. */
export interface GrantRecord {
  resource: string
  /** The ballot. A voter never grants an epoch below one it granted before, across restarts too. */
  epoch: number
  holder: NodeId
  /** Local time (the voter's clock before any restart) the grant runs out; meaningless after a reboot. */
  expiresAtMs: number
}

/** A voter's durable voter-set state (the Paxos acceptor for the next version, docs/protocol/lease.md). */
export interface VoterSetRecord {
  current: VoterSet
  /** The highest ballot promised for version current.version + 1. */
  promisedBallot: number
  /** The value accepted for version current.version + 1, if any. */
  accepted?: { ballot: number, voters: NodeId[] }
}

/** One thing the host must write durably: the latest record per `resource` (or the one voter-set record) wins. */
export type DurableRecord =
  | { type: 'grant', record: GrantRecord }
  | { type: 'voters', record: VoterSetRecord }
  /** The highest ballot this node asked for on `resource`, as a holder: a restarted node asks above it. */
  | { type: 'ballot', resource: string, epoch: number }

/**
 * The host's fsync contract, made explicit in the type: write every record durably (fsync), THEN step the
 * machine with `{ type: 'persisted', id }`. The replies that depend on these records are held inside the
 * machine and come out of that later step's `sends`; this step's `sends` never depend on them. A host that
 * ignores `persist` therefore makes the voter mute, never unsafe.
 */
export interface PersistRequest {
  id: number
  records: DurableRecord[]
}

/** A step's output: the usual sends, events and wake time, plus what to make durable. */
export interface LeaseOutput extends Output<LeaseEvent> {
  persist: PersistRequest | undefined
}

/** What a restarted node hands its new machine: everything it persisted, and when (local) it started again. */
export interface LeaseRestart {
  /** Local time of the restart on the new clock. The voter grants nothing until restartedAtMs + voterHoldMs. */
  restartedAtMs: number
  grants: GrantRecord[]
  voters?: VoterSetRecord
  /**
   * The highest ballot per resource this node asked for in an earlier life. Without them a restarted holder
   * would ask again under the epoch it held before, which voters grant it as a renewal ("the epoch already
   * granted to this holder") and which its failed round then RELEASEs, ending its earlier life's lease early.
   */
  ballots?: Array<{ resource: string, epoch: number }>
}

export type LeaseCommand =
  /** Hold `resource`: acquire it through a quorum (retrying while others hold it) and keep renewing it. */
  | { type: 'acquire', resource: string }
  /** Stop holding (or trying to). Send only after the instance has stopped: voters forget the grant at once. */
  | { type: 'release', resource: string }
  /** Ask `holder` for a handoff of `resource`, ahead of need; the lease it may give is counted from now. */
  | { type: 'ask-handoff', resource: string, holder: NodeId }
  /** Hand `resource` to `to` (who must have asked) with the next epoch, no quorum round trip; this node stops. */
  | { type: 'handoff', resource: string, to: NodeId }
  /** The desired state's voter list; the machine walks there one member at a time, each step through a quorum of the old list. */
  | { type: 'set-voters', voters: NodeId[] }
  /** The records of PersistRequest `id` are durable: release the replies that waited for them. */
  | { type: 'persisted', id: number }
  /** The host saw its clock jump (or could not tell): every lease held is dropped and the voter goes quiet. */
  | { type: 'clock-jumped' }

export type LostReason = 'higher-epoch' | 'expired' | 'renewal-failed' | 'handed-off' | 'clock-jumped'

export type LeaseEvent =
  /** This node holds `resource` under `epoch` until local `validUntilMs`; the host may start its instance. */
  | { type: 'acquired', resource: string, epoch: number, via: 'quorum' | 'handoff', validUntilMs: number, stopByMs: number, killByMs: number }
  /** A quorum extended the lease. */
  | { type: 'renewed', resource: string, epoch: number, validUntilMs: number, stopByMs: number, killByMs: number }
  /** Renewals failed: begin a graceful stop now (`atMs` is when it was due). The lease will not be renewed. */
  | { type: 'stop-by', resource: string, epoch: number, atMs: number }
  /** SIGKILL the instance now (`atMs` is when it was due). A `lost` follows in the same step. */
  | { type: 'kill-by', resource: string, epoch: number, atMs: number }
  /** This node no longer holds `resource`: anything still running under `epoch` must stop at once. */
  | { type: 'lost', resource: string, epoch: number, reason: LostReason }
  /** Released on command. */
  | { type: 'released', resource: string, epoch: number }
  /** This node's voter set moved to a new version. */
  | { type: 'voters-changed', version: number, voters: NodeId[] }
  /** A message from a peer was dropped; counted in `counters()`. */
  | { type: 'dropped', from: NodeId, reason: string, detail: string }
  /** A command was refused. */
  | { type: 'rejected', command: LeaseCommand['type'], problems: string[] }
