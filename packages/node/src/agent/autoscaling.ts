import { Autoscaler, type WorkloadSpec } from '@dreammesh/protocols'
import { LOAD_SAMPLE_MS } from './load-meter.js'

export interface AutoscalingInit {
  specs: () => WorkloadSpec[]
  /** Whether this node runs slot 0 of `workload` now: it is then the workload's scaler (its lease makes it the only one). */
  runsFirst: (workload: string) => boolean
  /** The workload's running instances, cluster-wide, and the CPU figures of those that report one. */
  load: (workload: string) => { running: number, cpuMillis: number[] }
  /** The count in the scale record, if any. */
  scaled: (workload: string) => number | undefined
  /** Writes the scale record (the same edit as `dreammesh scale`). */
  setScale: (workload: string, instances: number) => Promise<void>
  /** A count this scaler wrote. */
  onScaled: (detail: { workload: string, from: number, to: number, reason: string }) => void
  warn: (message: string) => void
  /** @default LOAD_SAMPLE_MS */
  intervalMs?: number
}

/**
 * Scales cluster-aware workloads by load (ADR 0017). The scaler of a workload is the node that runs its slot
 * 0: that slot's lease makes it one node at a time, with no election of its own. It reads the CPU figures
 * the instances' nodes gossip, runs the HPA rule of `Autoscaler` (packages/protocols), and writes the count
 * into the desired state, where placement reads it like any other `scale`. When slot 0 moves, the next node
 * starts watching afresh (so it sheds nothing for a whole scale-down window).
 */
export class Autoscaling {
  private readonly scalers = new Map<string, { signature: string, scaler: Autoscaler }>()
  private timer: NodeJS.Timeout | undefined
  private writing = false

  constructor (private readonly init: AutoscalingInit) {}

  start (): void {
    this.timer = setInterval(() => { void this.tick() }, this.init.intervalMs ?? LOAD_SAMPLE_MS)
    this.timer.unref()
  }

  stop (): void {
    clearInterval(this.timer)
  }

  /** One round over the autoscaled workloads this node scales (public for tests; the timer calls it). */
  async tick (nowMs = performance.now()): Promise<void> {
    if (this.writing) return
    const mine = new Set<string>()
    for (const spec of this.init.specs()) {
      const policy = spec.autoscale
      if (policy === undefined || !this.init.runsFirst(spec.name)) continue
      mine.add(spec.name)
      const min = spec.minInstances ?? 0
      const max = spec.maxInstances ?? min
      const signature = JSON.stringify([policy, spec.resources.cpuMillis, min, max])
      let entry = this.scalers.get(spec.name)
      if (entry?.signature !== signature) this.scalers.set(spec.name, entry = { signature, scaler: new Autoscaler(policy, spec.resources.cpuMillis, min, max) })
      const current = Math.min(Math.max(this.init.scaled(spec.name) ?? min, min), max)
      const decision = entry.scaler.observe({ nowMs, current, ...this.init.load(spec.name) })
      if (decision === undefined) continue
      this.writing = true
      try {
        await this.init.setScale(spec.name, decision.count)
        entry.scaler.applied(nowMs, decision.count)
        this.init.onScaled({ workload: spec.name, from: current, to: decision.count, reason: decision.reason })
      } catch (err) {
        this.init.warn(`autoscale ${spec.name}: could not write the count ${decision.count}: ${(err as Error).message}`)
      } finally {
        this.writing = false
      }
    }
    for (const name of [...this.scalers.keys()]) if (!mine.has(name)) this.scalers.delete(name)
  }
}
