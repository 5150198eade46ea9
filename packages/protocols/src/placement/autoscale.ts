import type { AutoscalePolicy } from './spec.js'

/**
 * Scaling a cluster-aware workload by its load, sans-IO: fed what its instances use, it says when to change
 * how many there are. The rule is Kubernetes' HPA on a CPU target (ADR 0017):
 *
 *   wanted = ceil(sum of the instances' CPU / (booked CPU x cpuPercent / 100)), within min..max,
 *
 * and no change while the average is within ±10 % of the target (a load that sits at the target must not
 * make the count flap). Going up is prompt (after `upAfterMs` since the last change, so the new instances'
 * load shows first); going down is slow: the count drops only to the highest count recommended over the last
 * `downAfterMs`, and not before this scaler has watched that long. A short lull does not shed instances.
 *
 * Placement never reads load (it would flap); the scaler's output is a `scale` record in the desired state,
 * which placement then reads like any other. One node runs the scaler of a workload: the holder of its slot
 * 0, whose lease makes it unique (agent/autoscaling.ts in @dreammesh/node).
 */

/** A change within this share of the target is none. */
export const AUTOSCALE_TOLERANCE = 0.1

export interface AutoscaleInput {
  /** Local monotonic time, ms. */
  nowMs: number
  /** The count in force now (the scale record, within min..max). */
  current: number
  /** Instances running now (some of `current` may be pending for want of room, or restarting). */
  running: number
  /** CPU of each running instance that has a figure, in thousandths of a core. */
  cpuMillis: readonly number[]
}

export interface AutoscaleDecision {
  count: number
  /** Why, for the events and `inspect`: the load against the target. */
  reason: string
}

export class Autoscaler {
  /** Recommendations inside the scale-down window, oldest first. */
  private history: Array<{ atMs: number, count: number }> = []
  private watchingSinceMs: number | undefined
  private lastChangeMs: number | undefined
  private lastCurrent: number | undefined

  constructor (
    private readonly policy: AutoscalePolicy,
    /** What one instance books (resources.cpuMillis), above 0. */
    private readonly bookedCpuMillis: number,
    private readonly min: number,
    private readonly max: number
  ) {}

  /** The target per instance, in thousandths of a core. */
  get targetCpuMillis (): number {
    return this.bookedCpuMillis * this.policy.cpuPercent / 100
  }

  /**
   * One observation; a decision when the count should change now. The caller writes the count, then calls
   * `applied`; a write that failed changes nothing here, and the decision comes again.
   */
  observe (input: AutoscaleInput): AutoscaleDecision | undefined {
    const { nowMs, current } = input
    this.watchingSinceMs ??= nowMs
    // Someone else changed the count (`scale`, the SDK, a scaler before us): that is a change too.
    if (this.lastCurrent !== undefined && this.lastCurrent !== current) this.changed(nowMs)
    this.lastCurrent = current
    const recommended = this.recommend(input)
    if (recommended === undefined) return undefined
    this.history.push({ atMs: nowMs, count: recommended.count })
    while (this.history.length > 0 && this.history[0].atMs < nowMs - this.policy.downAfterMs) this.history.shift()

    if (recommended.count > current) {
      if (this.lastChangeMs !== undefined && nowMs - this.lastChangeMs < this.policy.upAfterMs) return undefined
      return recommended
    }
    if (recommended.count < current) {
      if (nowMs - this.watchingSinceMs < this.policy.downAfterMs) return undefined
      if (this.lastChangeMs !== undefined && nowMs - this.lastChangeMs < this.policy.downAfterMs) return undefined
      const highest = Math.max(...this.history.map((h) => h.count))
      if (highest >= current) return undefined
      return { count: highest, reason: recommended.reason }
    }
    return undefined
  }

  /** The count this scaler decided is now written: the windows start over from `nowMs`. */
  applied (nowMs: number, count: number): void {
    this.changed(nowMs)
    this.lastCurrent = count
  }

  private recommend ({ current, running, cpuMillis }: AutoscaleInput): AutoscaleDecision | undefined {
    if (cpuMillis.length === 0) return undefined
    const target = this.targetCpuMillis
    const sum = cpuMillis.reduce((a, b) => a + b, 0)
    const average = sum / cpuMillis.length
    const describe = `average CPU ${Math.round(average)} m of a ${Math.round(target)} m target over ${cpuMillis.length} instance(s)`
    const within = (n: number): number => Math.min(Math.max(n, this.min), this.max)
    if (Math.abs(average / target - 1) <= AUTOSCALE_TOLERANCE) return { count: within(current), reason: describe }
    // Running instances without a figure yet (just started) count as idle going up, and block going down:
    // their load is unknown, and shedding on it would undo the scale-up that started them. Slots that do
    // not run (no room for them) block nothing.
    const wanted = within(Math.ceil(sum / target))
    if (wanted < current && cpuMillis.length < running) return { count: within(current), reason: describe }
    return { count: wanted, reason: describe }
  }

  private changed (nowMs: number): void {
    this.lastChangeMs = nowMs
    this.history = []
  }
}
