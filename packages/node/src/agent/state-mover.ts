import type { AgentCommand, NodeId, WorkloadSpec } from '@dreammesh/protocols'
import type { DesiredStateStore } from '../desired-state/index.js'
import type { StateService, TransferResult } from '../state-transfer/index.js'

/** The last state transfer of a workload onto this node, for `move` and `inspect`. */
export interface TransferRecord extends TransferResult {
  /** Started from a standby's snapshot (the newest copy was out of reach); `ageMs` is how old it was. */
  fromSnapshot?: { ageMs: number, takenAtMs: number }
  workload: string
  index: number
  epoch: number
  /** Wall-clock ms when it finished. */
  atMs: number
}

export interface StateMoverInit {
  selfId: NodeId
  store: DesiredStateStore
  state: StateService
  /** Whether `id` is a live member (alive or suspect) this node can reach. */
  isLive: (id: NodeId) => boolean
  /** Live members, this node included (where standby snapshots may be). */
  liveNodes: () => NodeId[]
  warn: (message: string) => void
}

/**
 * Where a slot's state is, and bringing it here before the slot starts (the agent's `prepare`).
 *
 * Each node that started an instance with a state dir records, in the desired state, that its copy is current
 * as of that lease epoch; the copy with the highest epoch is the newest. A node about to run the slot fetches
 * the newest copy unless it has it. If that copy's node is away, the slot waits (`prepare` fails, the lease
 * goes back): starting afresh would silently lose the data, which only the user may choose.
 */
export class StateMover {
  private readonly transfers = new Map<string, TransferRecord>()
  /** Slots whose state could not be had, with why: shown by `ps` and `inspect`. */
  readonly waiting = new Map<string, string>()

  constructor (private readonly init: StateMoverInit) {}

  async prepare (command: Extract<AgentCommand, { type: 'prepare' }>, spec: WorkloadSpec): Promise<boolean> {
    const { workload, index, epoch } = command
    const key = `${workload}/${index}`
    const source = this.newestCopy(workload, index) ?? command.from
    const fresh = this.init.store.moves().some(m => m.workload === workload && m.index === index && m.to === this.init.selfId && m.fresh)
    if (source === undefined || source === this.init.selfId || spec.stateDir === undefined || fresh) {
      this.waiting.delete(key)
      return true
    }
    let why: string
    if (this.init.isLive(source)) {
      try {
        const result = await this.init.state.fetch(source, workload)
        this.transfers.set(workload, { ...result, workload, index, epoch, atMs: Date.now() })
        this.waiting.delete(key)
        return true
      } catch (err) {
        why = `fetching its state from ${source} failed: ${(err as Error).message}`
      }
    } else {
      why = `its newest state is on ${source}, which is not reachable`
    }
    if (spec.replicateStateEveryMs !== undefined && await this.fromSnapshot(workload, index, epoch)) return true
    this.wait(key, `${why}: it starts when that node returns (or after \`dreammesh move ${workload} --to NODE --fresh\`)`)
    return false
  }

  /** Restores the newest standby snapshot of `workload` found on a live node; false when there is none. */
  private async fromSnapshot (workload: string, index: number, epoch: number): Promise<boolean> {
    const found = await Promise.all(this.init.liveNodes().map(async node => {
      try {
        const meta = await this.init.state.snapshotInfo(node, workload)
        return meta === undefined ? undefined : { node, meta }
      } catch {
        return undefined
      }
    }))
    const newest = found.filter(f => f !== undefined).sort((a, b) => b.meta.epoch - a.meta.epoch || b.meta.takenAtMs - a.meta.takenAtMs)[0]
    if (newest === undefined) return false
    try {
      const started = performance.now()
      const meta = await this.init.state.restoreSnapshot(newest.node, workload)
      const ageMs = Math.max(0, Date.now() - meta.takenAtMs)
      this.transfers.set(workload, {
        from: newest.node, bytes: meta.bytes, sha256: meta.sha256, ms: Math.round(performance.now() - started),
        fromSnapshot: { ageMs, takenAtMs: meta.takenAtMs }, workload, index, epoch, atMs: Date.now()
      })
      this.waiting.delete(`${workload}/${index}`)
      this.init.warn(`${workload}#${index}: its newest state was out of reach; started from a snapshot ${(ageMs / 1000).toFixed(1)} s old (kept by ${newest.node}, taken from ${meta.from})`)
      return true
    } catch (err) {
      this.init.warn(`${workload}#${index}: restoring the snapshot kept by ${newest.node} failed: ${(err as Error).message}`)
      return false
    }
  }

  /** An instance started here under `epoch`: this node's copy is now the newest. */
  started (spec: WorkloadSpec, index: number, epoch: number): void {
    if (spec.stateDir === undefined) return
    const store = this.init.store
    const fail = (err: Error): void => { this.init.warn(`${spec.name}: could not record where its state is: ${err.message}`) }
    store.recordStateHome(spec.name, index, epoch).then(async () => {
      // A fresh start is a one-time choice: from now on this copy is the newest, and a later move carries it.
      const fresh = store.moves().find(m => m.workload === spec.name && m.index === index && m.to === this.init.selfId && m.fresh)
      if (fresh !== undefined) await store.setMove(spec.name, index, fresh.to, false)
    }).catch(fail)
  }

  /** The node with the newest copy of the slot's state, if any node recorded one. */
  newestCopy (workload: string, index: number): NodeId | undefined {
    return this.init.store.stateHomes(workload, index)[0]?.node
  }

  /** The last transfer of `workload`'s state onto this node. */
  lastTransfer (workload: string): TransferRecord | undefined {
    return this.transfers.get(workload)
  }

  /** The sha256 of the archive of the newest copy of slot 0's state (asked of the node holding it). */
  async checksum (workload: string): Promise<{ node: NodeId, bytes: number, sha256: string } | undefined> {
    const node = this.newestCopy(workload, 0)
    if (node === undefined) return undefined
    const sum = await this.init.state.checksum(node, workload)
    return { node, ...sum }
  }

  private wait (key: string, why: string): void {
    if (this.waiting.get(key) !== why) this.init.warn(`${key}: ${why}`)
    this.waiting.set(key, why)
  }
}
