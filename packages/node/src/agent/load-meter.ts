import { CpuMeter } from '../workloads/index.js'

/** How often the CPU of autoscaled instances is read, in ms. */
export const LOAD_SAMPLE_MS = 5_000
/** A figure is reported again when it moved by more than this share, or by more than LOAD_REPORT_MIN_MILLIS. */
const LOAD_REPORT_SHARE = 0.1
const LOAD_REPORT_MIN_MILLIS = 20

export interface LoadMeterInit {
  /** This node's instances to measure now: those of autoscaled workloads that run here. */
  measured: () => Array<{ workload: string, index: number }>
  /** CPU time an instance used so far, in µs. */
  read: (workload: string, index: number) => Promise<number | undefined>
  /** A figure appeared, went, or moved enough to be worth a new instance report. */
  onChange: () => void
  /** @default LOAD_SAMPLE_MS */
  intervalMs?: number
}

/**
 * The CPU each local instance of an autoscaled workload uses, for its instance report (and from there its
 * workload's scaler, wherever that runs). Only those instances are read, and a figure is re-reported only
 * when it moved: reports of everything else stay as quiet as before.
 */
export class LoadMeter {
  private readonly meters = new Map<string, CpuMeter>()
  private readonly figures = new Map<string, number>()
  /** What was last handed out for reporting, per instance. */
  private readonly reported = new Map<string, number>()
  private timer: NodeJS.Timeout | undefined
  private sampling = false

  constructor (private readonly init: LoadMeterInit) {}

  start (): void {
    this.timer = setInterval(() => { void this.sample() }, this.init.intervalMs ?? LOAD_SAMPLE_MS)
    this.timer.unref()
  }

  stop (): void {
    clearInterval(this.timer)
  }

  /** The instance's CPU over the last interval, in thousandths of a core; undefined before two readings. */
  figure (workload: string, index: number): number | undefined {
    const key = `${workload}/${index}`
    const f = this.figures.get(key)
    if (f === undefined) this.reported.delete(key)
    else this.reported.set(key, f)
    return f
  }

  /** One reading of every measured instance (public for tests; the timer calls it). */
  async sample (nowMs = performance.now()): Promise<void> {
    if (this.sampling) return
    this.sampling = true
    try {
      const live = new Set<string>()
      for (const { workload, index } of this.init.measured()) {
        const key = `${workload}/${index}`
        live.add(key)
        let meter = this.meters.get(key)
        if (meter === undefined) this.meters.set(key, meter = new CpuMeter())
        const f = meter.sample(nowMs, await this.init.read(workload, index))
        if (f === undefined) this.figures.delete(key)
        else this.figures.set(key, f)
      }
      for (const key of [...this.meters.keys()]) if (!live.has(key)) { this.meters.delete(key); this.figures.delete(key) }
      // An instance reported with a figure is gone: one more report (without it), then it is owed nothing.
      let gone = false
      for (const key of [...this.reported.keys()]) if (!live.has(key)) { this.reported.delete(key); gone = true }
      if (gone || this.moved()) this.init.onChange()
    } finally {
      this.sampling = false
    }
  }

  private moved (): boolean {
    if (this.figures.size !== this.reported.size) return true
    for (const [key, f] of this.figures) {
      const was = this.reported.get(key)
      if (was === undefined || Math.abs(f - was) > Math.max(LOAD_REPORT_MIN_MILLIS, was * LOAD_REPORT_SHARE)) return true
    }
    return false
  }
}
