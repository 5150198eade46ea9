/**
 * The replicated, persisted desired-state document (ARCHITECTURE.md rule 5; docs/protocol/desired-state.md):
 * `DesiredStateStore` holds it on disk and in memory, `DesiredStateSync` keeps it in sync with peers.
 */
export * from './constants.js'
export {
  DesiredStateRefusedError, ROOT as DESIRED_STATE_ROOT,
  type DenyRecord, type EditRefusal, type JsonObject, type JsonValue, type VotersRecord
} from './document.js'
export { DesiredStateFileError } from './record-file.js'
export {
  MAX_SCALE_INSTANCES, MAX_SLOT_INDEX,
  type DrainRecord, type MoveRecord, type ScaleRecord, type StateHomeRecord
} from './operations.js'
export {
  DesiredStateStore,
  type DesiredStateChange, type DesiredStateStoreEvents, type DesiredStateStoreOptions, type DesiredStateStoreStats,
  type DesiredStateUpdate, type DesiredStateView, type RemoteApplyResult, type RemoteRefusal, type UpdateOrigin
} from './store.js'
export {
  createDesiredStateSync, DesiredStateSync,
  type DesiredStateSyncInit, type DesiredStateSyncNode, type DesiredStateSyncStats, type SyncDropReason
} from './sync.js'
export { SYNC_VERSION } from './sync-message.js'
