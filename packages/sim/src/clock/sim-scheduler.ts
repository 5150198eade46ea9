import type { Scheduler } from '@dreammesh/protocols'
import type { EventQueue } from './event-queue.js'
import type { NodeClock } from './node-clock.js'
import type { NodeRuntime } from './node-runtime.js'

const NO_OP = (): void => {}

/**
 * The core `Scheduler` for one simulated node: `nowMs()` reads the node's drifting local clock, and
 * `at(localMs, fn)` converts the local deadline to global time and puts it on the shared `EventQueue`.
 *
 * Timers pass through the node's `NodeRuntime`: while the node is paused they are held and fire, in order,
 * when the pause ends; after a crash they never fire. A timer belongs to the incarnation that armed it, so
 * one scheduler can serve a node across restarts without waking a dead driver.
 */
export class SimScheduler implements Scheduler {
  constructor (
    private readonly queue: EventQueue,
    private readonly clock: NodeClock,
    private readonly runtime: NodeRuntime
  ) {}

  nowMs (): number {
    return this.clock.nowMs()
  }

  at (atMs: number, fn: () => void): () => void {
    const runtime = this.runtime
    if (!runtime.alive) return NO_OP
    const incarnation = runtime.incarnation
    let cancelled = false
    // One closure serves the first firing and the release after a pause: it re-checks everything each time.
    const fire = (): void => {
      if (cancelled || runtime.incarnation !== incarnation) return
      if (runtime.paused) {
        runtime.hold(fire, 0)
        return
      }
      cancelled = true
      fn()
    }
    const handle = this.queue.at(this.clock.toGlobalMs(atMs), fire)
    return () => {
      if (cancelled) return
      cancelled = true
      this.queue.cancel(handle)
    }
  }
}
