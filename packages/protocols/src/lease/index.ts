/**
 * Leases: the one ownership primitive (docs/adr/0009-leases-by-quorum-ballots.md, docs/protocol/lease.md).
 * A resource is an opaque key ("w/web/0", "input/focus"); its owner is whoever holds a lease granted by a
 * quorum of the voter set, fenced by an epoch no two holders share.
 */
export { LeaseMachine, type LeaseMachineInit } from './machine.js'
export { leaseConfig, localTestLeaseConfig, leaseConfigProblems, type LeaseConfig } from './config.js'
export {
  driftOf,
  holderValidMs,
  voterHoldMs,
  killMarginMs,
  stopByMs,
  killByMs,
  handoffBudgetMs,
  quorumOf,
  HANDOFF_SPAN,
  handoffsOf,
  nextBallotEpoch
} from './bounds.js'
export { decide as decideGrant, type Decision as GrantDecision, type DenyReason } from './voter.js'
export { nextVoters, normalizeVoters, votersDistance } from './voter-set.js'
export {
  LEASE_WIRE_VERSION,
  MAX_RESOURCE_KEY_BYTES,
  MAX_WIRE_VOTERS,
  checkResourceKey,
  decodeLeaseMessage,
  encodeLeaseMessage,
  leaseMessage,
  LeaseKind,
  type LeaseMessage,
  type DecodedLease,
  type LeaseDropReason
} from './wire.js'
export type {
  VoterSet,
  GrantRecord,
  VoterSetRecord,
  DurableRecord,
  PersistRequest,
  LeaseOutput,
  LeaseRestart,
  LeaseCommand,
  LeaseEvent,
  LostReason
} from './types.js'
