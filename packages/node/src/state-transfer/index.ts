/**
 * Moving a slot's state between nodes (docs/protocol/state-transfer.md): deterministic, checksummed archives
 * of state dirs, served over libp2p and restored atomically.
 */
export { StateService, type StateServiceInit, type TransferResult, type StateRequest, type StateOp } from './state-service.js'
export { SnapshotShelf, readMeta, SNAPSHOTS_DIR, type SnapshotMeta } from './snapshot-shelf.js'
export { packState, restoreState, recoverStateDir, checksumFile, stateDirOf } from './archive.js'
export { ProtocolError } from './stream-reader.js'
export * from './constants.js'
