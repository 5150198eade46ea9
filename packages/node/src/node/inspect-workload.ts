import type { WorkloadDetailJson, WorkloadJson } from '../api/types.js'
import type { DreamNode } from './dream-node.js'

/**
 * `inspect`: one workload in full, as this node sees it, plus the checksum of its newest state, which is
 * asked of the node that holds it (so `move` can be checked end to end: the sum is equal afterwards).
 */
export async function inspectWorkload (node: DreamNode, summary: WorkloadJson | undefined): Promise<WorkloadDetailJson | undefined> {
  const service = node.workloads
  const store = node.desiredState
  if (summary === undefined || service === undefined) return undefined
  const name = summary.name
  const names = new Map([node.self(), ...node.members()].map(m => [m.id, m.meta.name]))
  const nameOf = (id: string): string => names.get(id) ?? id
  const home = store.stateHomes(name, 0)[0]
  const detail: WorkloadDetailJson = {
    ...summary,
    spec: store.workload(name) ?? null,
    slots: service.placement()?.slots.filter(s => s.workload === name) ?? [],
    moves: store.moves().filter(m => m.workload === name).map(m => ({ index: m.index, to: m.to, toName: nameOf(m.to), fresh: m.fresh })),
    scale: store.scale().get(name)?.instances ?? null,
    stateHome: home === undefined ? null : { node: home.node, nodeName: nameOf(home.node), epoch: home.epoch },
    stateChecksum: null,
    stateBytes: null,
    lastTransfer: null,
    waitingForState: [...(service.mover?.waiting ?? [])]
      .filter(([key]) => key.startsWith(`${name}/`))
      .map(([key, why]) => ({ index: Number(key.slice(name.length + 1)), why }))
  }
  const transfer = service.mover?.lastTransfer(name)
  if (transfer !== undefined) {
    detail.lastTransfer = { from: transfer.from, bytes: transfer.bytes, sha256: transfer.sha256, ms: transfer.ms, epoch: transfer.epoch, atMs: transfer.atMs, ...(transfer.fromSnapshot === undefined ? {} : { snapshotAgeMs: transfer.fromSnapshot.ageMs }) }
  }
  if (home !== undefined && service.mover !== undefined) {
    try {
      const sum = await service.mover.checksum(name)
      if (sum !== undefined) {
        detail.stateChecksum = sum.sha256
        detail.stateBytes = sum.bytes
      }
    } catch (err) {
      detail.stateChecksumError = (err as Error).message
    }
  }
  return detail
}
