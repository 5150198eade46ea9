import type { NodeId, WorkloadSpec } from '@dreammesh/protocols'
import type { StateService } from '../state-transfer/index.js'

/** How many servers keep a snapshot of each replicated workload's state. */
export const STANDBYS_PER_WORKLOAD = 2
/** How often the replicator looks for snapshots that are due, in ms. */
export const REPLICATOR_TICK_MS = 1_000

export interface StateReplicatorInit {
  selfId: NodeId
  /** Whether this node is a server (only servers keep snapshots). */
  isServer: () => boolean
  specs: () => WorkloadSpec[]
  /** The node running slot 0 of `workload` now, from the instance board. */
  runnerOf: (workload: string) => NodeId | undefined
  /** Live servers, this node included. */
  liveServers: () => NodeId[]
  state: StateService
  warn: (message: string) => void
}

/**
 * `--replicate-state`: for each workload that asks for it, the first two live servers other than the one
 * running it (in peer id order, so every node agrees without talking) pull a live snapshot of its state
 * every period and keep the newest. A failover with no reachable copy of the state then starts from the
 * newest snapshot anywhere and reports its age (StateMover).
 */
export class StateReplicator {
  private timer: NodeJS.Timeout | undefined
  private readonly lastPull = new Map<string, number>()
  private readonly inFlight = new Set<string>()
  private readonly failing = new Set<string>()

  constructor (private readonly init: StateReplicatorInit) {}

  start (): void {
    this.timer = setInterval(() => { this.tick() }, REPLICATOR_TICK_MS)
    this.timer.unref()
  }

  stop (): void {
    if (this.timer !== undefined) clearInterval(this.timer)
  }

  /** The standbys of a workload run by `runner`. */
  standbysOf (runner: NodeId): NodeId[] {
    return this.init.liveServers().filter(id => id !== runner).sort().slice(0, STANDBYS_PER_WORKLOAD)
  }

  private tick (): void {
    if (!this.init.isServer()) return
    const now = performance.now()
    for (const spec of this.init.specs()) {
      const every = spec.replicateStateEveryMs
      if (every === undefined || spec.stateDir === undefined || this.inFlight.has(spec.name)) continue
      const runner = this.init.runnerOf(spec.name)
      if (runner === undefined || runner === this.init.selfId || !this.standbysOf(runner).includes(this.init.selfId)) continue
      if (now < (this.lastPull.get(spec.name) ?? -Infinity) + every) continue
      this.lastPull.set(spec.name, now)
      this.inFlight.add(spec.name)
      this.init.state.pullSnapshot(runner, spec.name).then(
        () => { this.failing.delete(spec.name) },
        (err: Error) => {
          // Said once per run of failures, not every period.
          if (!this.failing.has(spec.name)) this.init.warn(`${spec.name}: could not snapshot its state from ${runner}: ${err.message}`)
          this.failing.add(spec.name)
        }
      ).finally(() => { this.inFlight.delete(spec.name) })
    }
  }
}
