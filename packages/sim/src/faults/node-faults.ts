import type { SimNetwork } from '../network/sim-network.js'
import type { SimTransport } from '../network/sim-transport.js'

/** How a node dies. */
export interface CrashOptions {
  /**
   * The whole machine vanished (power cut, cable pulled, kernel panic): no FIN or RST goes out, so no peer
   * is told, and each finds out from its own timeouts. A plain crash is a `kill -9` of the process on a
   * living machine, whose kernel closes the connections.
   * @default false
   */
  machineLoss?: boolean
}

/**
 * The node lifecycle faults of a simulation. It owns no node state: it drives the `SimNetwork` (transports
 * and connections) and each node's `NodeRuntime` (incarnation, pause, slowness). The runner owns the state
 * machines and their `MachineDriver`s and builds new ones after `restart`.
 */
export class NodeFaults {
  constructor (private readonly network: SimNetwork) {}

  /** Whether node `index` is running (not crashed). */
  isAlive (index: number): boolean {
    return this.network.runtime(index).alive
  }

  /**
   * Kills node `index` as `kill -9` would: its transport closes at once, messages it still had in flight on
   * connections are lost, its pending and held timers never fire, and nothing is sent on its behalf again.
   * Peers that exchanged frames with it in the last `closeNoticeWindowMs` (and, in the `streams` model, any
   * message, since packets ride the same connection) get `onClosed` after one network delay, unless
   * `machineLoss`. This holds in the `packets` model too: its frames also ride a connection. Datagrams
   * already on the wire still arrive. Crashing a dead node does nothing.
   */
  crash (index: number, options: CrashOptions = {}): void {
    const runtime = this.network.runtime(index)
    if (!runtime.alive) return
    this.network.closeTransport(index, options.machineLoss !== true)
    runtime.kill()
  }

  /**
   * Starts node `index` again with the same id and a fresh transport (a running node is crashed first). Its
   * clock and slowness carry over: they belong to the machine, not the process. Timers armed before the
   * crash stay dead, so the runner builds a new driver on the returned transport.
   */
  restart (index: number): SimTransport {
    const runtime = this.network.runtime(index)
    if (runtime.alive) this.crash(index)
    runtime.revive()
    return this.network.openTransport(index)
  }

  /**
   * Freezes node `index` for `durationMs` (a GC pause, CPU starvation, SIGSTOP): its timers and deliveries
   * are held and all run, in order, when the pause ends. A pause during a pause extends it.
   */
  pause (index: number, durationMs: number): void {
    this.network.runtime(index).pause(durationMs)
  }

  /** Adds `extraDelayMs` of processing to every delivery to node `index` (0 ends it): an overloaded host. */
  slow (index: number, extraDelayMs: number): void {
    if (!(extraDelayMs >= 0) || !Number.isFinite(extraDelayMs)) throw new RangeError(`extraDelayMs must be a finite number >= 0, got ${extraDelayMs}`)
    this.network.runtime(index).slowMs = extraDelayMs
  }
}
