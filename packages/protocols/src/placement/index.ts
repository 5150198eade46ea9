/**
 * Workloads and where they run (docs/protocol/workload-spec.md, docs/adr/0010-deterministic-placement.md).
 * `validateWorkloadSpec` turns an untrusted spec into a bounded, complete `WorkloadSpec` or lists every
 * problem; `place` is a pure function from (specs, live nodes, what runs now, moves, scale) to the node of
 * every slot, the same on every node, so placement needs no leader; `placementChanges` is what an agent
 * does about it.
 */
export * from './limits.js'
export {
  restartDelayMs,
  WORKLOAD_KINDS,
  PREFERENCE_TARGETS,
  RESTART_MODES,
  type WorkloadKind,
  type WorkloadSpec,
  type Resources,
  type Constraints,
  type Preference,
  type PreferenceTarget,
  type RestartMode,
  type RestartPolicy,
  type HealthCheck,
  type VmGuest,
  type PortForward,
  type AutoscalePolicy
} from './spec.js'
export { Autoscaler, AUTOSCALE_TOLERANCE, type AutoscaleInput, type AutoscaleDecision } from './autoscale.js'
export { validateWorkloadSpec, type SpecValidation } from './validate.js'
export { place } from './place.js'
export { fitScore, preferenceScore, siblingPenalty, tieBreak } from './score.js'
export { slotKey, systemSlotIndex, MAX_SYSTEM_INDEX_PROBES } from './slots.js'
export { placementChanges, assignmentsOf, carryForward, type PlacementChanges } from './diff.js'
export type {
  PlacementNode,
  PlacementInput,
  Placement,
  Assignment,
  MoveRequest,
  ScaleRequest,
  Scoring,
  PlacementCause,
  PendingReason,
  PlacedSlot,
  PendingSlot,
  SlotPlacement,
  MoveRefusal,
  InputProblem
} from './types.js'
export {
  PlacementAgent, agentSlotKey, parseAgentSlotKey,
  type AgentCommand, type AgentInput, type AgentStep, type PlacementAgentInit
} from './agent.js'
export { ReportLedger, reportNewer, MAX_WAITING_REPORTS, type OrderedReport, type ReportVerdict, type SenderView } from './report-ledger.js'
